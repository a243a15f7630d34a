package algorithmia.hello;

/** The demo/hello algorithm. */
public class hello {
    /** Answers a text request. */
    public String apply(String input) {
        return "hello " + input;
    }
}
