# R LangPack test runner: runs an algorithm's testthat tests.
#
# Started with the algorithm's root as the working directory:
#
#     Rscript /path/to/testthat.r
#
# It sources src/<algoname>.r (the algorithmia.conf algoname) into the global
# environment, as the runner does, so that the tests can call algorithm()
# directly, then runs every tests/test*.r file (tests/testthat/ when it
# exists) with testthat::test_dir. Packages installed by the build into
# .langserver/library come first on the library path. The exit status is 1
# when a test fails.

local({
  library_dir <- file.path(".langserver", "library")
  if (dir.exists(library_dir)) {
    .libPaths(c(normalizePath(library_dir), .libPaths()))
  }
  for (package in c("jsonlite", "testthat")) {
    if (!requireNamespace(package, quietly = TRUE)) {
      message("the R package ", package, " is not installed: install it (Debian: apt-get install r-cran-", package, ")")
      quit(save = "no", status = 1L)
    }
  }
  algoname <- jsonlite::read_json("algorithmia.conf")[["algoname"]]
  source(file.path("src", paste0(algoname, ".r")), local = globalenv(), keep.source = TRUE, encoding = "UTF-8")
  tests <- if (dir.exists(file.path("tests", "testthat"))) file.path("tests", "testthat") else "tests"
  testthat::test_dir(tests, env = new.env(parent = globalenv()), stop_on_failure = TRUE)
})
