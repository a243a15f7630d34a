# The demo/hello algorithm.

# Answers a request: input is a character string for text, a raw vector for
# binary and the decoded value for JSON.
algorithm <- function(input) {
  paste("hello", input)
}
