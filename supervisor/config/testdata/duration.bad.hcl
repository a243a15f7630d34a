algorithm "demo/hello" {
  path    = "algos/hello"
  timeout = "5 minutes"
}
