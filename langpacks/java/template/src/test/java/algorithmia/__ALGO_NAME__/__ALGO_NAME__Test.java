package algorithmia.__ALGO_NAME__;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

/** apply() answers like the deployed algorithm. */
public class __ALGO_NAME__Test {
    @Test
    public void greetsInput() {
        assertEquals("hello algorithmia", new __ALGO_NAME__().apply("algorithmia"));
    }
}
