package algorithmia.hello

import org.junit.Assert.assertEquals
import org.junit.Test

/** apply() answers like the deployed algorithm. */
class helloTest {

  @Test def greetsInput(): Unit =
    assertEquals("hello algorithmia", new hello().apply("algorithmia"))
}
