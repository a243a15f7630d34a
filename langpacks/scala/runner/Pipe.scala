package langserver.runner

import java.io.{BufferedReader, ByteArrayInputStream, FileDescriptor, FileInputStream, FileOutputStream}
import java.io.{IOException, InputStreamReader, PrintWriter, StringWriter}
import java.lang.reflect.{InvocationTargetException, Method, Modifier}
import java.nio.charset.StandardCharsets.UTF_8
import java.nio.file.{Files, NoSuchFileException, Paths}
import java.util.Base64

import scala.collection.JavaConverters._
import scala.collection.immutable.ListMap

import com.google.gson.{Gson, GsonBuilder, JsonArray, JsonElement, JsonNull, JsonObject, JsonParseException}
import com.google.gson.{JsonParser, JsonPrimitive, ToNumberPolicy}

/** Scala LangPack runner: serves one algorithm over the langserver runner contract.
  *
  * Started with the algorithm's root as the working directory and the algorithm's
  * compiled classes, the jars in its `lib/`, the Scala library and Gson on the class path:
  * {{{
  * java -cp RUNNER:ALGORITHM:scala-library.jar:gson.jar langserver.runner.Pipe
  * }}}
  * It reads `algorithmia.conf`, loads `algorithmia.<algoname>.<algoname>` (a class with
  * a constructor without parameters, or an `object`) and prints `PIPE_INIT_COMPLETE`
  * once the algorithm is loaded. It then reads one JSON request per line on stdin,
  * calls the `apply` method that fits the input and writes one JSON response per request
  * to the FIFO named by `$ALGOOUT` (`/tmp/algoout` when unset). EOF on stdin ends the
  * runner with exit code 0; a load failure ends it with exit code 1 before
  * `PIPE_INIT_COMPLETE`, the reason printed on stderr.
  *
  * Which `apply` runs: text goes to `apply(String)`, binary to `apply(Array[Byte])`,
  * JSON to `apply(JsonElement)` (or the Gson tree type that matches it) or to any other
  * parameter type Gson can bind it to; a JSON string counts as text. `apply(Any)` takes
  * whatever is left: a `String`, an `Array[Byte]`, or JSON as Scala values (`Map[String,
  * Any]`, `List[Any]`, `Long`, `Double`, `Boolean`, `null`); typed overloads are tried
  * first, except for JSON null. A `String` result is text, an
  * `Array[Byte]` binary; anything else is JSON: Scala maps, collections and options
  * become objects, arrays and values, the rest is serialised with Gson. An exception
  * reports an error; an `errorType: String` member (a `val` or `def`, or a Java-style
  * `getErrorType()`) on it sets the error type.
  *
  * stdout and stderr belong to the algorithm: apart from the `PIPE_INIT_COMPLETE` line
  * the runner writes nothing on stdout, and its own diagnostics go to stderr.
  */
object Pipe {
  private val ConfigFile = "algorithmia.conf"
  private val DefaultFifo = "/tmp/algoout"
  private val InitComplete = "PIPE_INIT_COMPLETE"
  private val DefaultErrorType = "AlgorithmError"

  private[runner] val gson: Gson = new GsonBuilder()
    .serializeNulls()
    .disableHtmlEscaping()
    .setObjectToNumberStrategy(ToNumberPolicy.LONG_OR_DOUBLE)
    .create()

  /** The algorithm folder cannot be served; the message says why. */
  final class LoadException(message: String) extends Exception(message)

  /** A request that cannot be handed to the algorithm; it is answered with an error. */
  final class RequestException(message: String, val errorType: String) extends Exception(message)

  def main(args: Array[String]): Unit = {
    val loaded =
      try {
        val algoname = readAlgoname()
        val requests = claimStdin()
        Right((Algorithm.load(s"algorithmia.$algoname.$algoname"), requests))
      } catch {
        case e: LoadException => Left(s"scala runner: ${e.getMessage}")
        case t: Throwable => Left("scala runner: the algorithm failed to load\n" + render(t))
      }
    loaded match {
      case Left(reason) =>
        System.err.println(reason)
        System.exit(1)
      case Right((algorithm, requests)) =>
        println(InitComplete)
        System.out.flush()
        val fifo = Option(System.getenv("ALGOOUT")).filter(_.nonEmpty).getOrElse(DefaultFifo)
        try serve(algorithm, requests, fifo)
        catch {
          case e: IOException =>
            System.err.println(s"scala runner: $e")
            System.exit(1)
        }
        System.exit(0)
    }
  }

  /** Returns the `algoname` from the algorithm's `algorithmia.conf`. */
  private[runner] def readAlgoname(): String = {
    val path = Paths.get(ConfigFile).toAbsolutePath
    val root =
      try JsonParser.parseString(new String(Files.readAllBytes(path), UTF_8))
      catch {
        case _: NoSuchFileException => throw new LoadException(s"cannot read $path: no such file")
        case e: IOException => throw new LoadException(s"cannot read $path: $e")
        case e: JsonParseException => throw new LoadException(s"$path is not valid JSON: ${e.getMessage}")
      }
    val name = if (root.isJsonObject) Option(root.getAsJsonObject.get("algoname")) else None
    name.collect { case p: JsonPrimitive if p.isString && !p.getAsString.isEmpty => p.getAsString }
      .getOrElse(throw new LoadException(s"""$path has no "algoname""""))
  }

  /** Takes the request stream for the runner and gives the algorithm an empty stdin,
    * so an algorithm that reads `System.in` cannot consume request lines.
    */
  private def claimStdin(): BufferedReader = {
    val requests = new BufferedReader(new InputStreamReader(new FileInputStream(FileDescriptor.in), UTF_8))
    System.setIn(new ByteArrayInputStream(Array.emptyByteArray))
    requests
  }

  /** Answers each request line on the FIFO at `fifo` until stdin ends. */
  private def serve(algorithm: Algorithm, requests: BufferedReader, fifo: String): Unit =
    Iterator.continually(requests.readLine()).takeWhile(_ != null).foreach { line =>
      val response = (gson.toJson(handle(algorithm, line)) + "\n").getBytes(UTF_8)
      Console.out.flush()
      System.out.flush()
      System.err.flush()
      val out = new FileOutputStream(fifo)
      try out.write(response)
      finally out.close()
    }

  /** Decodes one request line, calls the algorithm and returns the response object. */
  private[runner] def handle(algorithm: Algorithm, line: String): JsonObject = {
    val result =
      try Right(algorithm(parseRequest(line)))
      catch {
        case e: RequestException => Left(error(e.getMessage, e.errorType, None))
        case t: Throwable => Left(error(Option(t.getMessage).getOrElse(t.toString), errorType(t), Some(stackTrace(t))))
      }
    result.fold(identity, encodeResult)
  }

  private def encodeResult(result: Any): JsonObject = {
    val (value, contentType) =
      try {
        result match {
          case s: String => (new JsonPrimitive(s), "text")
          case b: Array[Byte] => (new JsonPrimitive(Base64.getEncoder.encodeToString(b)), "binary")
          case other => (Json.toTree(other), "json")
        }
      } catch {
        case e @ (_: RuntimeException | _: StackOverflowError) =>
          return error(s"result is not JSON serializable: $e", DefaultErrorType, Some(stackTrace(e)))
      }
    val metadata = new JsonObject
    metadata.addProperty("content_type", contentType)
    val response = new JsonObject
    response.add("result", value)
    response.add("metadata", metadata)
    response
  }

  /** Returns the input a request line carries: a String, an Array[Byte] or a Gson tree. */
  private[runner] def parseRequest(line: String): AnyRef =
    try {
      val request = JsonParser.parseString(line)
      if (!request.isJsonObject) throw new RequestException("invalid request: not a JSON object", "SystemError")
      val fields = request.getAsJsonObject
      val data = Option(fields.get("data")).getOrElse(JsonNull.INSTANCE)
      Option(fields.get("content_type")).filter(_.isJsonPrimitive).map(_.getAsString) match {
        case Some("text") => data.getAsString
        case Some("binary") => Base64.getDecoder.decode(data.getAsString)
        case Some("json") if data.isJsonPrimitive && data.getAsJsonPrimitive.isString => data.getAsString
        case Some("json") => data
        case other =>
          throw new RequestException(s"invalid request: unknown content_type ${other.getOrElse("")}", "SystemError")
      }
    } catch {
      case e @ (_: JsonParseException | _: IllegalArgumentException | _: IllegalStateException |
          _: UnsupportedOperationException) =>
        throw new RequestException(s"invalid request: ${e.getMessage}", "SystemError")
    }

  /** Returns the error type an exception declares, else `AlgorithmError`. */
  private[runner] def errorType(t: Throwable): String =
    Seq("errorType", "getErrorType").iterator.map { name =>
      try t.getClass.getMethod(name).invoke(t) match {
        case s: String => Some(s)
        case _ => None
      } catch {
        case _: ReflectiveOperationException | _: RuntimeException => None
      }
    }.collectFirst { case Some(s) => s }.getOrElse(DefaultErrorType)

  /** Returns the exception's stack trace as `printStackTrace` prints it, without the
    * frames of the runner and the reflection that called `apply`.
    */
  private[runner] def stackTrace(t: Throwable): String = {
    Iterator.iterate(t)(_.getCause).takeWhile(_ != null).take(MaxCauses).foreach(trimRunnerFrames)
    render(t)
  }

  /** How many causes of an error have their stack traces trimmed. */
  private val MaxCauses = 32

  /** Drops the frames below the algorithm's own: the runner's and reflection's. */
  private def trimRunnerFrames(t: Throwable): Unit = {
    val frames = t.getStackTrace
    val runner = frames.indexWhere(_.getClassName.startsWith(classOf[Algorithm].getName))
    if (runner > 0) {
      val keep = frames.lastIndexWhere(f => !isReflection(f.getClassName), runner - 1) + 1
      if (keep > 0) t.setStackTrace(frames.take(keep))
    }
  }

  private def isReflection(className: String): Boolean =
    Seq("jdk.internal.reflect.", "sun.reflect.", "java.lang.reflect.").exists(className.startsWith)

  private def render(t: Throwable): String = {
    val out = new StringWriter
    t.printStackTrace(new PrintWriter(out))
    out.toString
  }

  private[runner] def error(message: String, errorType: String, stacktrace: Option[String]): JsonObject = {
    val error = new JsonObject
    error.addProperty("message", message)
    error.addProperty("error_type", errorType)
    stacktrace.foreach(error.addProperty("stacktrace", _))
    val response = new JsonObject
    response.add("error", error)
    response
  }
}

/** Conversions between Gson trees and Scala values. */
private[runner] object Json {

  /** Returns `tree` as Scala values: `ListMap[String, Any]`, `List[Any]`, `Long` (or
    * `BigInt` when it does not fit) for numbers written as integers, `Double` (or
    * `BigDecimal` when a `Double` would change it) for the others, `Boolean`, `String` or
    * `null`.
    */
  def fromTree(tree: JsonElement): Any = tree match {
    case o: JsonObject => ListMap(o.entrySet.asScala.toSeq.map(e => e.getKey -> fromTree(e.getValue)): _*)
    case a: JsonArray => a.asScala.map(fromTree).toList
    case p: JsonPrimitive if p.isBoolean => p.getAsBoolean
    case p: JsonPrimitive if p.isString => p.getAsString
    case p: JsonPrimitive => number(p.getAsBigDecimal)
    case _ => null
  }

  private def number(n: java.math.BigDecimal): Any =
    if (n.scale == 0) {
      val i = BigInt(n.toBigInteger)
      if (i.isValidLong) i.toLong else i
    } else {
      val d = n.doubleValue
      if (!d.isInfinite && java.math.BigDecimal.valueOf(d).compareTo(n) == 0) d else BigDecimal(n)
    }

  /** Returns `value` as a Gson tree: Scala maps, collections, options and numbers by
    * their meaning, Java and other objects with Gson.
    */
  def toTree(value: Any): JsonElement = value match {
    case null | None | () => JsonNull.INSTANCE
    case Some(v) => toTree(v)
    case e: JsonElement => e
    case s: String => new JsonPrimitive(s)
    case c: Char => new JsonPrimitive(c.toString)
    case b: Boolean => new JsonPrimitive(b)
    case n: BigInt => new JsonPrimitive(n.bigInteger)
    case n: BigDecimal => new JsonPrimitive(n.bigDecimal)
    case n: Number => Pipe.gson.toJsonTree(n)
    case m: scala.collection.Map[_, _] =>
      val o = new JsonObject
      m.foreach { case (k, v) => o.add(String.valueOf(k), toTree(v)) }
      o
    case xs: TraversableOnce[_] => array(xs)
    case xs: Array[_] => array(xs)
    case other => Pipe.gson.toJsonTree(other)
  }

  private def array(xs: TraversableOnce[_]): JsonArray = {
    val a = new JsonArray
    xs.foreach(x => a.add(toTree(x)))
    a
  }
}

/** The loaded algorithm: its instance (or object) and its public apply methods. */
private[runner] final class Algorithm private (instance: AnyRef, applies: Seq[Method]) {
  import Pipe.RequestException

  /** Calls the apply method that fits `input` (a String, Array[Byte] or Gson tree) and
    * returns its result; the algorithm's own exception is thrown as is.
    */
  def apply(input: AnyRef): Any = {
    val attempts = candidates(input).iterator.map(m => m -> bind(input, m))
    attempts.collectFirst { case (m, Right(arg)) => (m, arg) } match {
      case Some((m, arg)) =>
        try m.invoke(instance, arg)
        catch { case e: InvocationTargetException => throw e.getCause }
      case None =>
        val what = input match {
          case _: String => "text"
          case _: Array[Byte] => "binary"
          case _ => "this JSON"
        }
        val failures = candidates(input).flatMap(m => bind(input, m).left.toOption).headOption
        throw new RequestException(
          s"no apply method accepts $what input; declared: $signatures" + failures.fold("")(f => s" ($f)"),
          "AlgorithmError")
    }
  }

  /** Returns the apply methods that may take `input`, best fit first. */
  private def candidates(input: AnyRef): Seq[Method] = {
    def param(m: Method) = m.getParameterTypes()(0)
    def isText(c: Class[_]) = c == classOf[String] || c == classOf[CharSequence]
    val (general, typed) = applies.partition(m => param(m) == classOf[Object])
    val (exact, rest) = typed.partition(m => param(m).isInstance(input))
    val bound = input match {
      case _: String => rest.filter(m => param(m) != classOf[Array[Byte]])
      case _: Array[Byte] => Nil
      case _ => rest.filterNot(m => isText(param(m)) || param(m) == classOf[Array[Byte]] ||
          classOf[JsonElement].isAssignableFrom(param(m)))
    }
    // JSON null binds to any object type; the general overload is likelier meant.
    if (input == JsonNull.INSTANCE) exact ++ general ++ bound else exact ++ bound ++ general
  }

  /** Converts `input` to the parameter type of `m`, or says why it cannot. */
  private def bind(input: AnyRef, m: Method): Either[String, AnyRef] = {
    val p = m.getParameterTypes()(0)
    val tree = input match {
      case s: String => new JsonPrimitive(s)
      case t: JsonElement => t
      case _ => null
    }
    try {
      input match {
        case json: JsonElement if p == classOf[Object] => Right(Json.fromTree(json).asInstanceOf[AnyRef])
        case _ if p.isInstance(input) => Right(input)
        case _ if classOf[JsonElement].isAssignableFrom(p) => Right(tree)
        case _ if p.isPrimitive && tree.isJsonNull => Left(s"null cannot be passed as ${p.getName}")
        case _ => Right(Pipe.gson.fromJson[AnyRef](tree, m.getGenericParameterTypes()(0)))
      }
    } catch {
      // Gson reports a value that does not fit the type with one of several
      // RuntimeExceptions (JsonParseException, IllegalStateException, ...).
      case e: RuntimeException => Left(String.valueOf(e.getMessage))
    }
  }

  private def signatures: String =
    applies.map(m => s"apply(${m.getGenericParameterTypes()(0).getTypeName})").mkString(", ")
}

private[runner] object Algorithm {
  import Pipe.LoadException

  /** Loads the algorithm class `className`: an `object`, or a class it instantiates. */
  def load(className: String): Algorithm = {
    val cls =
      try Class.forName(className)
      catch {
        case _: ClassNotFoundException =>
          throw new LoadException(s"class $className not found: define it in src/main/scala/" +
            className.replace('.', '/') + ".scala and build the algorithm")
      }
    // An `object` compiles to a class with a MODULE$ singleton, its methods forwarded
    // as statics on the companion-less class; prefer the singleton.
    val module: Option[Class[_]] =
      try Some(Class.forName(className + "$")) catch { case _: ClassNotFoundException => None }
    val singleton = module.filter(m => m.getFields.exists(_.getName == "MODULE$") && (!hasApply(cls) || allStatic(cls)))
    val target: Class[_] = singleton.getOrElse(cls)
    val instance: AnyRef = singleton.map(_.getField("MODULE$").get(null)).orNull
    val applies = applyMethods(target)
    if (applies.isEmpty) throw new LoadException(s"$className has no public apply method with one parameter")
    val self =
      if (instance != null || applies.forall(m => Modifier.isStatic(m.getModifiers))) instance
      else {
        try target.getConstructor().newInstance().asInstanceOf[AnyRef]
        catch {
          case _: NoSuchMethodException =>
            throw new LoadException(s"$className has no public constructor without parameters")
          case e: InvocationTargetException => throw e.getCause
        }
      }
    new Algorithm(self, applies)
  }

  private def applyMethods(cls: Class[_]): Seq[Method] =
    cls.getMethods.toSeq
      .filter(m => m.getName == "apply" && m.getParameterCount == 1 && !m.isBridge && !m.isSynthetic)
      .sortBy(_.toGenericString)

  private def hasApply(cls: Class[_]): Boolean = applyMethods(cls).nonEmpty

  private def allStatic(cls: Class[_]): Boolean =
    applyMethods(cls).forall(m => Modifier.isStatic(m.getModifiers))
}
