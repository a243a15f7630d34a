package algorithmia.conformance;

import com.google.gson.JsonElement;

/**
 * The behaviour every LangPack's conformance example shares: binary and non-string JSON
 * come back unchanged, and a few text commands exercise errors, output, crashes and the
 * runner's identity.
 */
public class conformance {
    /** The error "fail" throws; its error type is ConformanceError. */
    public static class ConformanceError extends RuntimeException {
        public ConformanceError(String message) {
            super(message);
        }

        public String getErrorType() {
            return "ConformanceError";
        }
    }

    public byte[] apply(byte[] input) {
        return input;
    }

    public Object apply(String input) {
        switch (input) {
            case "fail":
                throw new ConformanceError("conformance failure");
            case "print":
                System.out.println("to stdout");
                System.out.flush();
                System.err.println("to stderr");
                System.err.flush();
                return "printed";
            case "crash":
                Runtime.getRuntime().halt(3);
                return null;
            case "pid":
                return ProcessHandle.current().pid();
            default:
                return "hello " + input;
        }
    }

    public JsonElement apply(JsonElement input) {
        return input;
    }
}
