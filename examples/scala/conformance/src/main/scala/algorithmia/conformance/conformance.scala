package algorithmia.conformance

import java.lang.management.ManagementFactory

/** The error "fail" throws; its error type is ConformanceError. */
class ConformanceError(message: String) extends RuntimeException(message) {
  val errorType: String = "ConformanceError"
}

/** The behaviour every LangPack's conformance example shares: binary and non-string JSON
  * come back unchanged, and a few text commands exercise errors, output, crashes and the
  * runner's identity.
  */
class conformance {

  def apply(input: Any): Any = input match {
    case "fail" => throw new ConformanceError("conformance failure")
    case "print" =>
      println("to stdout")
      Console.out.flush()
      System.err.println("to stderr")
      System.err.flush()
      "printed"
    case "crash" => Runtime.getRuntime.halt(3)
    case "pid" => ManagementFactory.getRuntimeMXBean.getName.takeWhile(_ != '@').toLong
    case text: String => "hello " + text
    case other => other // Array[Byte] stays binary, JSON values stay JSON
  }
}
