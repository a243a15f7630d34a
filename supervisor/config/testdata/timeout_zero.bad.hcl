algorithm "demo/hello" {
  path         = "algos/hello"
  timeout      = "0s"
  load_timeout = "-1m"
}
