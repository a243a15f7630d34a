# The demo/conformance algorithm: the behaviour every LangPack's conformance
# example shares, checked by the end-to-end LangPack matrix.

algorithm <- function(input) {
  if (!is.character(input) || length(input) != 1L || inherits(input, "AsIs")) {
    return(input)
  }
  switch(input,
    fail = fail(),
    print = {
      writeLines("to stdout")
      flush(stdout())
      writeLines("to stderr", con = stderr())
      flush(stderr())
      "printed"
    },
    crash = quit(save = "no", status = 3L),
    pid = Sys.getpid(),
    paste("hello", input)
  )
}

# Signals the error "fail" answers with; the runner reads its error_type.
fail <- function() {
  stop(errorCondition("conformance failure", class = "ConformanceError", error_type = "ConformanceError"))
}
