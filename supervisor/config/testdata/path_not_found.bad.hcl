algorithm "demo/hello" {
  path = "algos/nope"
}
