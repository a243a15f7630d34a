package algorithmia.__ALGO_NAME__

import org.junit.Assert.assertEquals
import org.junit.Test

/** apply() answers like the deployed algorithm. */
class __ALGO_NAME__Test {

  @Test def greetsInput(): Unit =
    assertEquals("hello algorithmia", new __ALGO_NAME__().apply("algorithmia"))
}
