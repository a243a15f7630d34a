package algorithmia.__ALGO_NAME__;

/** The __ALGO_OWNER__/__ALGO_NAME__ algorithm. */
public class __ALGO_NAME__ {
    /** Answers a text request. */
    public String apply(String input) {
        return "hello " + input;
    }
}
