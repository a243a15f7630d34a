# Tests for the __ALGO_NAME__ algorithm; `langserver test` sources
# src/__ALGO_NAME__.r first, so algorithm() is defined here.

test_that("algorithm greets its input", {
  expect_equal(algorithm("algorithmia"), "hello algorithmia")
})
