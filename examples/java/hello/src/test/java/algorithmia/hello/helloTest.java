package algorithmia.hello;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

/** apply() answers like the deployed algorithm. */
public class helloTest {
    @Test
    public void greetsInput() {
        assertEquals("hello algorithmia", new hello().apply("algorithmia"));
    }
}
