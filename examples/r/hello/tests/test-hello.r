# Tests for the hello algorithm; `langserver test` sources
# src/hello.r first, so algorithm() is defined here.

test_that("algorithm greets its input", {
  expect_equal(algorithm("algorithmia"), "hello algorithmia")
})
