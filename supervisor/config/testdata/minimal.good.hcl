# Only what is required: every other value takes its default.
algorithm "demo/hello" {
  path = "algos/hello"
}
