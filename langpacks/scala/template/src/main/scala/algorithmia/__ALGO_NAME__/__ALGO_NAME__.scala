package algorithmia.__ALGO_NAME__

/** The __ALGO_OWNER__/__ALGO_NAME__ algorithm. */
class __ALGO_NAME__ {

  /** Answers a text request. */
  def apply(input: String): String = "hello " + input
}
