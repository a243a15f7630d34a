package langserver.runner;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.ToNumberPolicy;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.FileInputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Java LangPack runner: serves one algorithm over the langserver runner contract.
 *
 * <p>Started with the algorithm's root as the working directory and the
 * algorithm's compiled classes, its {@code lib/*.jar} and Gson on the class path:
 *
 * <pre>java -cp RUNNER:ALGORITHM:gson.jar langserver.runner.Pipe</pre>
 *
 * <p>It reads {@code algorithmia.conf}, instantiates the class
 * {@code algorithmia.<algoname>.<algoname>} and prints {@code PIPE_INIT_COMPLETE}
 * once the algorithm is loaded. It then reads one JSON request per line on stdin,
 * calls the {@code apply} method that fits the input and writes one JSON response per
 * request to the FIFO named by {@code $ALGOOUT} ({@code /tmp/algoout} when unset).
 * EOF on stdin ends the runner with exit code 0; a load failure ends it with exit code
 * 1 before {@code PIPE_INIT_COMPLETE}, the reason printed on stderr.
 *
 * <p>Which {@code apply} runs: text goes to {@code apply(String)}, binary to
 * {@code apply(byte[])}, JSON to {@code apply(JsonElement)} (or the Gson tree type
 * that matches it) or to any other parameter type Gson can bind it to; a JSON string
 * counts as text. {@code apply(Object)} takes whatever is left: a {@code String}, a
 * {@code byte[]}, or JSON as plain Java values ({@code Map}, {@code List},
 * {@code Long} or {@code Double}, {@code Boolean}, {@code null}); typed overloads are
 * tried first, except for JSON null. A {@code String} result is text, a
 * {@code byte[]} binary, anything else is serialised with Gson as JSON. An exception
 * reports an error; a public {@code getErrorType()} (or {@code errorType()}) method
 * returning a {@code String} on it sets the error type.
 *
 * <p>stdout and stderr belong to the algorithm: apart from the
 * {@code PIPE_INIT_COMPLETE} line the runner writes nothing on stdout, and its own
 * diagnostics go to stderr.
 */
public final class Pipe {
    private static final String CONFIG_FILE = "algorithmia.conf";
    private static final String DEFAULT_FIFO = "/tmp/algoout";
    private static final String INIT_COMPLETE = "PIPE_INIT_COMPLETE";
    private static final String DEFAULT_ERROR_TYPE = "AlgorithmError";

    /** Binds JSON to the algorithm's types and serialises its results. */
    static final Gson GSON = new GsonBuilder()
            .serializeNulls()
            .disableHtmlEscaping()
            .setObjectToNumberStrategy(ToNumberPolicy.LONG_OR_DOUBLE)
            .create();

    private Pipe() {}

    /** The algorithm folder cannot be served; the message says why. */
    static final class LoadException extends Exception {
        private static final long serialVersionUID = 1L;

        LoadException(String message) {
            super(message);
        }
    }

    /** A request that cannot be handed to the algorithm; it answers with an error. */
    static final class RequestException extends Exception {
        private static final long serialVersionUID = 1L;
        private final String errorType;

        RequestException(String message, String errorType) {
            super(message);
            this.errorType = errorType;
        }
    }

    public static void main(String[] args) {
        Algorithm algorithm;
        BufferedReader requests;
        try {
            String algoname = readAlgoname(Paths.get(CONFIG_FILE));
            requests = claimStdin();
            algorithm = Algorithm.load("algorithmia." + algoname + "." + algoname);
        } catch (LoadException e) {
            System.err.println("java runner: " + e.getMessage());
            System.exit(1);
            return;
        } catch (Throwable t) {
            System.err.println("java runner: the algorithm failed to load");
            t.printStackTrace();
            System.exit(1);
            return;
        }
        System.out.println(INIT_COMPLETE);
        System.out.flush();
        String fifo = System.getenv("ALGOOUT");
        try {
            serve(algorithm, requests, fifo == null || fifo.isEmpty() ? DEFAULT_FIFO : fifo);
        } catch (IOException e) {
            System.err.println("java runner: " + e);
            System.exit(1);
        }
        System.exit(0);
    }

    /** Returns the {@code algoname} from the algorithm's {@code algorithmia.conf}. */
    static String readAlgoname(Path config) throws LoadException {
        JsonElement root;
        try {
            root = JsonParser.parseString(new String(Files.readAllBytes(config), StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            throw new LoadException("cannot read " + config.toAbsolutePath() + ": no such file");
        } catch (IOException e) {
            throw new LoadException("cannot read " + config.toAbsolutePath() + ": " + e);
        } catch (JsonParseException e) {
            throw new LoadException(config.toAbsolutePath() + " is not valid JSON: " + e.getMessage());
        }
        JsonElement name = root.isJsonObject() ? root.getAsJsonObject().get("algoname") : null;
        if (name == null || !name.isJsonPrimitive() || !name.getAsJsonPrimitive().isString()
                || name.getAsString().isEmpty()) {
            throw new LoadException(config.toAbsolutePath() + " has no \"algoname\"");
        }
        return name.getAsString();
    }

    /**
     * Takes the request stream for the runner and gives the algorithm an empty stdin,
     * so an algorithm that reads {@code System.in} cannot consume request lines.
     */
    private static BufferedReader claimStdin() {
        BufferedReader requests = new BufferedReader(
                new InputStreamReader(new FileInputStream(FileDescriptor.in), StandardCharsets.UTF_8));
        System.setIn(new ByteArrayInputStream(new byte[0]));
        return requests;
    }

    /** Answers each request line on the FIFO at {@code fifo} until stdin ends. */
    private static void serve(Algorithm algorithm, BufferedReader requests, String fifo) throws IOException {
        String line;
        while ((line = requests.readLine()) != null) {
            byte[] response = encode(handle(algorithm, line));
            System.out.flush();
            System.err.flush();
            try (OutputStream out = new FileOutputStream(fifo)) {
                out.write(response);
            }
        }
    }

    /** Decodes one request line, calls the algorithm and returns the response object. */
    static JsonObject handle(Algorithm algorithm, String line) {
        Object result;
        try {
            result = algorithm.apply(parseRequest(line));
        } catch (RequestException e) {
            return error(e.getMessage(), e.errorType, null);
        } catch (Throwable t) {
            return error(String.valueOf(t.getMessage() == null ? t : t.getMessage()), errorType(t), stackTrace(t));
        }
        JsonObject response = new JsonObject();
        JsonObject metadata = new JsonObject();
        try {
            if (result instanceof String) {
                response.addProperty("result", (String) result);
                metadata.addProperty("content_type", "text");
            } else if (result instanceof byte[]) {
                response.addProperty("result", Base64.getEncoder().encodeToString((byte[]) result));
                metadata.addProperty("content_type", "binary");
            } else {
                response.add("result", result instanceof JsonElement ? (JsonElement) result : GSON.toJsonTree(result));
                metadata.addProperty("content_type", "json");
            }
        } catch (RuntimeException | StackOverflowError e) {
            return error("result is not JSON serializable: " + e, DEFAULT_ERROR_TYPE, stackTrace(e));
        }
        response.add("metadata", metadata);
        return response;
    }

    /** Returns the input a request line carries: a String, a byte[] or a Gson tree. */
    static Object parseRequest(String line) throws RequestException {
        try {
            JsonElement request = JsonParser.parseString(line);
            if (!request.isJsonObject()) {
                throw new RequestException("invalid request: not a JSON object", "SystemError");
            }
            JsonElement contentType = request.getAsJsonObject().get("content_type");
            JsonElement data = request.getAsJsonObject().get("data");
            String type = contentType != null && contentType.isJsonPrimitive() ? contentType.getAsString() : "";
            switch (type) {
                case "text":
                    return data.getAsString();
                case "binary":
                    return Base64.getDecoder().decode(data.getAsString());
                case "json":
                    if (data == null) {
                        return JsonNull.INSTANCE;
                    }
                    return data.isJsonPrimitive() && data.getAsJsonPrimitive().isString() ? data.getAsString() : data;
                default:
                    throw new RequestException("invalid request: unknown content_type " + contentType, "SystemError");
            }
        } catch (JsonParseException | IllegalArgumentException | IllegalStateException
                | UnsupportedOperationException | NullPointerException e) {
            throw new RequestException("invalid request: " + e.getMessage(), "SystemError");
        }
    }

    /** Returns the error type an exception declares, else {@code AlgorithmError}. */
    static String errorType(Throwable t) {
        for (String name : new String[] {"getErrorType", "errorType"}) {
            try {
                Method m = t.getClass().getMethod(name);
                Object value = m.invoke(t);
                if (value instanceof String) {
                    return (String) value;
                }
            } catch (ReflectiveOperationException | RuntimeException ignored) {
                // No such accessor, or it failed: look further, then use the default.
            }
        }
        return DEFAULT_ERROR_TYPE;
    }

    /**
     * Returns the exception's stack trace as {@code printStackTrace} prints it, without
     * the frames of the runner and the reflection that called {@code apply}.
     */
    static String stackTrace(Throwable t) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable c = t; c != null && seen.add(c); c = c.getCause()) {
            trimRunnerFrames(c);
        }
        StringWriter out = new StringWriter();
        t.printStackTrace(new PrintWriter(out));
        return out.toString();
    }

    /** Drops the frames below the algorithm's own: the runner's and reflection's. */
    private static void trimRunnerFrames(Throwable t) {
        StackTraceElement[] frames = t.getStackTrace();
        int keep = frames.length;
        for (int i = 0; i < frames.length; i++) {
            if (frames[i].getClassName().equals(Algorithm.class.getName())) {
                keep = i;
                break;
            }
        }
        while (keep > 0 && keep < frames.length && isReflection(frames[keep - 1].getClassName())) {
            keep--;
        }
        if (keep > 0 && keep < frames.length) {
            t.setStackTrace(Arrays.copyOf(frames, keep));
        }
    }

    private static boolean isReflection(String className) {
        return className.startsWith("jdk.internal.reflect.") || className.startsWith("sun.reflect.")
                || className.startsWith("java.lang.reflect.");
    }

    static JsonObject error(String message, String errorType, String stacktrace) {
        JsonObject error = new JsonObject();
        error.addProperty("message", message);
        error.addProperty("error_type", errorType);
        if (stacktrace != null) {
            error.addProperty("stacktrace", stacktrace);
        }
        JsonObject response = new JsonObject();
        response.add("error", error);
        return response;
    }

    /** Serialises a response as one line of compact UTF-8 JSON. */
    private static byte[] encode(JsonObject response) {
        return (GSON.toJson(response) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /** The loaded algorithm: an instance of its class and its public apply methods. */
    static final class Algorithm {
        private final Object instance;
        private final List<Method> applies;

        private Algorithm(Object instance, List<Method> applies) {
            this.instance = instance;
            this.applies = applies;
        }

        /** Loads and instantiates the algorithm class {@code className}. */
        static Algorithm load(String className) throws Throwable {
            Class<?> cls;
            try {
                cls = Class.forName(className);
            } catch (ClassNotFoundException e) {
                String file = className.replace('.', '/');
                throw new LoadException("class " + className + " not found: define it in src/main/java/" + file
                        + ".java and build the algorithm");
            }
            List<Method> applies = new ArrayList<>();
            for (Method m : cls.getMethods()) {
                if (m.getName().equals("apply") && m.getParameterCount() == 1 && !m.isBridge() && !m.isSynthetic()) {
                    applies.add(m);
                }
            }
            if (applies.isEmpty()) {
                throw new LoadException(className + " has no public apply method with one parameter");
            }
            // Overload order does not depend on the JVM's reflection order.
            applies.sort(Comparator.comparing(Method::toGenericString));
            Object instance = null;
            boolean allStatic = applies.stream().allMatch(m -> Modifier.isStatic(m.getModifiers()));
            if (!allStatic) {
                try {
                    instance = cls.getConstructor().newInstance();
                } catch (NoSuchMethodException e) {
                    throw new LoadException(className + " has no public constructor without parameters");
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            }
            return new Algorithm(instance, applies);
        }

        /**
         * Calls the apply method that fits {@code input} (a String, byte[] or Gson tree)
         * and returns its result; the algorithm's own exception is thrown as is.
         */
        Object apply(Object input) throws Throwable {
            Method chosen = null;
            Object argument = null;
            RuntimeException bindFailure = null;
            for (Method m : candidates(input)) {
                try {
                    argument = convert(input, m);
                    chosen = m;
                    break;
                } catch (JsonParseException | IllegalStateException | NumberFormatException
                        | UnsupportedOperationException e) {
                    if (bindFailure == null) {
                        bindFailure = e;
                    }
                }
            }
            if (chosen == null) {
                String what = input instanceof String ? "text" : input instanceof byte[] ? "binary" : "this JSON";
                String message = "no apply method accepts " + what + " input; declared: " + signatures();
                if (bindFailure != null) {
                    message += " (" + bindFailure.getMessage() + ")";
                }
                throw new RequestException(message, DEFAULT_ERROR_TYPE);
            }
            try {
                return chosen.invoke(instance, argument);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }

        /** Returns the apply methods that may take {@code input}, best fit first. */
        private List<Method> candidates(Object input) {
            List<Method> exact = new ArrayList<>();
            List<Method> bound = new ArrayList<>();
            List<Method> general = new ArrayList<>();
            for (Method m : applies) {
                Class<?> p = m.getParameterTypes()[0];
                if (p == Object.class) {
                    general.add(m);
                } else if (input instanceof String) {
                    if (p == String.class || p == CharSequence.class) {
                        exact.add(m);
                    } else if (p != byte[].class) {
                        bound.add(m);
                    }
                } else if (input instanceof byte[]) {
                    if (p == byte[].class) {
                        exact.add(m);
                    }
                } else if (p.isInstance(input)) {
                    exact.add(m);
                } else if (p != String.class && p != CharSequence.class && p != byte[].class
                        && !JsonElement.class.isAssignableFrom(p)) {
                    bound.add(m);
                }
            }
            // JSON null binds to any object type; the general overload is likelier meant.
            if (input instanceof JsonNull) {
                exact.addAll(general);
                exact.addAll(bound);
            } else {
                exact.addAll(bound);
                exact.addAll(general);
            }
            return exact;
        }

        /** Converts {@code input} to the parameter type of {@code m}. */
        private static Object convert(Object input, Method m) {
            Class<?> p = m.getParameterTypes()[0];
            Type type = m.getGenericParameterTypes()[0];
            if (input instanceof JsonElement && p == Object.class) {
                return GSON.fromJson((JsonElement) input, Object.class);
            }
            if (p.isInstance(input)) {
                return input;
            }
            if (input instanceof String) {
                return JsonElement.class.isAssignableFrom(p)
                        ? new JsonPrimitive((String) input) : GSON.fromJson(new JsonPrimitive((String) input), type);
            }
            JsonElement tree = (JsonElement) input;
            if (p.isPrimitive() && tree.isJsonNull()) {
                throw new IllegalStateException("null cannot be passed as " + p.getName());
            }
            return GSON.fromJson(tree, type);
        }

        private String signatures() {
            List<String> names = new ArrayList<>();
            for (Method m : applies) {
                names.add("apply(" + m.getGenericParameterTypes()[0].getTypeName() + ")");
            }
            return String.join(", ", names);
        }
    }
}
