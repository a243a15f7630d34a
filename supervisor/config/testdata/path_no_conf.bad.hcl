algorithm "demo/hello" {
  path = "algos/noconf"
}
