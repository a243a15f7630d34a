# R LangPack runner: serves one algorithm over the langserver runner contract.
#
# Started with the algorithm's root as the working directory:
#
#     Rscript /path/to/pipe.r
#
# It reads algorithmia.conf, sources src/<algoname>.r into the global
# environment and prints PIPE_INIT_COMPLETE once the algorithm is loaded. It
# then reads one JSON request per line on stdin, calls the algorithm's
# `algorithm(input)` and writes one JSON response per request to the FIFO
# named by $ALGOOUT (/tmp/algoout when unset). EOF on stdin ends the runner
# with exit status 0; a load failure ends it with exit status 1 before
# PIPE_INIT_COMPLETE, the reason printed on stderr.
#
# Inputs: text is a character string, binary a raw vector, JSON the decoded
# value (an object is a named list; an array of numbers, strings or logicals
# alike is an atomic vector, kept as an array on the way back by I() when it
# has one element; any other array is a list; null is NULL). Results: a raw
# vector is sent as binary, a single character string as text, anything else
# as JSON (jsonlite::toJSON, length-one vectors as scalars). An error the
# algorithm signals is reported with its call stack; an `error_type` string
# field on the condition sets the error type, as in
# stop(errorCondition("message", error_type = "MyError")); else AlgorithmError.
#
# stdout and stderr belong to the algorithm: apart from the PIPE_INIT_COMPLETE
# line the runner writes nothing on stdout, and its own diagnostics go to
# stderr. Warnings are printed as they happen (options(warn = 1)), so that
# they belong to the request that raised them. The runner needs R 3.6 or
# later and the jsonlite package (Debian: r-cran-jsonlite).
#
# The runner's functions live in their own environment, whose parent is the
# base environment rather than the global one the algorithm is sourced into,
# so that nothing the algorithm defines can replace them or the functions
# they call.

local(envir = new.env(parent = baseenv()), {
  config_file <- "algorithmia.conf"
  default_fifo <- "/tmp/algoout"
  init_complete <- "PIPE_INIT_COMPLETE"
  default_error_type <- "AlgorithmError"
  library_dir <- file.path(".langserver", "library")

  # Signals that the algorithm folder cannot be served; the message says why.
  load_failure <- function(message) {
    stop(errorCondition(message, class = "load_failure", call = NULL))
  }

  # Loads the algorithm, then serves requests until stdin ends. Returns the
  # process exit status.
  main <- function() {
    options(warn = 1)
    algorithm <- tryCatch(load_algorithm(), load_failure = function(e) {
      message("r runner: ", conditionMessage(e))
      NULL
    })
    if (is.null(algorithm)) {
      return(1L)
    }
    cat(init_complete, "\n", sep = "")
    flush(stdout())
    fifo_path <- Sys.getenv("ALGOOUT")
    if (!nzchar(fifo_path)) {
      fifo_path <- default_fifo
    }
    requests <- file("stdin", open = "r")
    on.exit(close(requests))
    serve(algorithm, requests, fifo_path)
    0L
  }

  # Sources src/<algoname>.r into the global environment, as the original
  # LangPack did, and returns the algorithm function it defines.
  load_algorithm <- function() {
    if (!requireNamespace("jsonlite", quietly = TRUE)) {
      load_failure("the R package jsonlite is not installed: install it (Debian: apt-get install r-cran-jsonlite)")
    }
    algoname <- read_algoname(config_file)
    if (dir.exists(library_dir)) {
      .libPaths(c(normalizePath(library_dir), .libPaths()))
    }
    file <- file.path("src", paste0(algoname, ".r"))
    if (!file.exists(file)) {
      load_failure(paste(file.path(getwd(), file), "not found"))
    }
    loaded <- call_traced(function(input) {
      source(input, local = globalenv(), keep.source = TRUE, encoding = "UTF-8")
    }, file)
    if (!is.null(loaded$error)) {
      hint <- ""
      if (inherits(loaded$error, "packageNotFoundError")) {
        package <- loaded$error[["package"]]
        hint <- paste0(" (Debian: apt-get install r-cran-", tolower(package), "; list it in packages.txt)")
      }
      load_failure(paste0("the algorithm failed to load: ", conditionMessage(loaded$error), hint, "\n", loaded$stacktrace))
    }
    algorithm <- get0("algorithm", envir = globalenv(), mode = "function", inherits = FALSE)
    if (is.null(algorithm)) {
      load_failure(paste0(file, " does not define algorithm <- function(input)"))
    }
    algorithm
  }

  # Returns the algoname from the algorithm's algorithmia.conf.
  read_algoname <- function(path) {
    if (!file.exists(path)) {
      load_failure(paste("cannot read", file.path(getwd(), path), "(no such file)"))
    }
    config <- tryCatch(jsonlite::read_json(path), error = function(e) {
      load_failure(paste(path, "is not valid JSON:", conditionMessage(e)))
    })
    algoname <- if (is.list(config)) config[["algoname"]]
    if (!is.character(algoname) || length(algoname) != 1L || !nzchar(algoname)) {
      load_failure(paste(path, "has no \"algoname\""))
    }
    algoname
  }

  # Answers each request line from requests on the FIFO at path, one at a
  # time.
  serve <- function(algorithm, requests, path) {
    repeat {
      # encoding only marks the line as UTF-8, whatever the locale.
      line <- readLines(requests, n = 1L, encoding = "UTF-8")
      if (length(line) == 0L) {
        return(invisible())
      }
      payload <- handle(algorithm, line)
      flush(stdout())
      flush(stderr())
      # Opened, written and closed per response, as runners always have.
      fifo <- fifo(path, open = "w", blocking = TRUE)
      writeLines(payload, fifo, useBytes = TRUE)
      close(fifo)
    }
  }

  # Decodes one request line, calls the algorithm and returns the response
  # as compact JSON.
  handle <- function(algorithm, line) {
    input <- tryCatch(decode_input(line), error = function(e) {
      structure(list(message = paste("invalid request:", conditionMessage(e))), class = "bad_request")
    })
    if (inherits(input, "bad_request")) {
      return(error_json(input$message, "SystemError"))
    }
    called <- call_traced(function(input) algorithm(input), input)
    if (!is.null(called$error)) {
      return(error_json(conditionMessage(called$error), error_type(called$error), called$stacktrace))
    }
    encode_result(called$value)
  }

  # Returns the algorithm input a request line carries.
  decode_input <- function(line) {
    request <- jsonlite::parse_json(line, simplifyVector = FALSE)
    if (!is.list(request) || is.null(names(request))) {
      stop("request is not a JSON object")
    }
    content_type <- request[["content_type"]]
    data <- request[["data"]]
    if (identical(content_type, "text")) {
      return(data)
    }
    if (identical(content_type, "json")) {
      return(simplify(data))
    }
    if (identical(content_type, "binary")) {
      if (!is.character(data) || length(data) != 1L) {
        stop("binary data is not a base64 string")
      }
      return(jsonlite::base64_dec(data))
    }
    stop("unknown content_type ", jsonlite::toJSON(content_type, auto_unbox = TRUE, null = "null"))
  }

  # Turns JSON arrays of numbers, strings or logicals alike into atomic
  # vectors, the way R code expects them. An array of one element is marked
  # with I(), which jsonlite writes back as an array, so that every JSON
  # value comes back unchanged.
  simplify <- function(value) {
    if (!is.list(value)) {
      return(value)
    }
    if (!is.null(names(value))) {
      return(lapply(value, simplify))
    }
    kinds <- vapply(value, scalar_kind, character(1))
    if (length(value) == 0L || any(kinds == "") || length(unique(kinds)) != 1L) {
      return(lapply(value, simplify))
    }
    vector <- unlist(value, use.names = FALSE)
    if (length(vector) == 1L) I(vector) else vector
  }

  # Returns "number", "string" or "logical" for a decoded JSON scalar, else
  # "" (null, an array, an object).
  scalar_kind <- function(value) {
    if (length(value) != 1L || is.list(value)) {
      return("")
    }
    if (is.numeric(value)) "number" else if (is.character(value)) "string" else if (is.logical(value)) "logical" else ""
  }

  # Calls fun(input), recording the call stack below fun if it signals an
  # error. Returns list(value = ...) or list(error = <condition>,
  # stacktrace = ...).
  call_traced <- function(fun, input) {
    stacktrace <- ""
    tryCatch(
      list(value = withCallingHandlers(fun(input), error = function(e) {
        stacktrace <<- format_stack(sys.calls())
      })),
      error = function(e) list(error = e, stacktrace = stacktrace)
    )
  }

  # Formats the calls below call_traced's fun(input) down to where the error
  # was signalled, as traceback() prints them: innermost first, with file and
  # line.
  format_stack <- function(calls) {
    is_handler_frame <- function(call) identical(call[[1L]], quote(withCallingHandlers))
    start <- Position(is_handler_frame, calls, nomatch = 0L) + 1L
    # The last frame is the calling handler itself; R's own errors and
    # stop("...") also pass through .handleSimpleError.
    calls <- calls[seq(start + 1L, length.out = max(0L, length(calls) - start - 1L))]
    last <- length(calls)
    if (last > 0L && identical(calls[[last]][[1L]], quote(.handleSimpleError))) {
      calls <- calls[-last]
    }
    calls <- rev(calls)
    lines <- vapply(seq_along(calls), function(i) {
      call <- calls[[i]]
      text <- deparse(call, nlines = 2L)
      text <- if (length(text) > 1L) paste(sub("\\s+$", "", text[1L]), "...") else text
      srcref <- attr(call, "srcref")
      where <- if (is.null(srcref)) "" else paste0(" at ", basename(attr(srcref, "srcfile")$filename), "#", srcref[1L])
      paste0(length(calls) - i + 1L, ": ", text, where)
    }, character(1))
    paste(lines, collapse = "\n")
  }

  # Returns the error type an error condition carries in its error_type
  # field, else the default.
  error_type <- function(condition) {
    type <- condition[["error_type"]]
    if (is.character(type) && length(type) == 1L && !is.na(type)) type else default_error_type
  }

  # Encodes a result as a response: a raw vector as base64 binary, a single
  # character string as text, anything else as JSON.
  encode_result <- function(result) {
    if (is.raw(result)) {
      encoded <- gsub("\n", "", jsonlite::base64_enc(result), fixed = TRUE)
      return(result_json(paste0("\"", encoded, "\""), "binary"))
    }
    is_text <- is.character(result) && length(result) == 1L && !is.na(result) && !inherits(result, "AsIs")
    encoded <- tryCatch(to_json(result), error = function(e) e)
    if (inherits(encoded, "error")) {
      return(error_json(paste("result is not JSON serializable:", conditionMessage(encoded)), default_error_type))
    }
    result_json(encoded, if (is_text) "text" else "json")
  }

  to_json <- function(value) {
    enc2utf8(as.character(jsonlite::toJSON(value, auto_unbox = TRUE, null = "null", na = "null", digits = NA)))
  }

  result_json <- function(encoded, content_type) {
    paste0("{\"result\":", encoded, ",\"metadata\":{\"content_type\":\"", content_type, "\"}}")
  }

  error_json <- function(message, error_type, stacktrace = NULL) {
    error <- list(message = enc2utf8(message), error_type = enc2utf8(error_type))
    if (!is.null(stacktrace)) {
      error$stacktrace <- enc2utf8(stacktrace)
    }
    to_json(list(error = error))
  }

  quit(save = "no", status = main())
})
