package algorithmia.hello

/** The demo/hello algorithm. */
class hello {

  /** Answers a text request. */
  def apply(input: String): String = "hello " + input
}
