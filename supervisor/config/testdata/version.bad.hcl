algorithm "demo/hello" {
  path    = "algos/hello"
  version = "1.0"
}
