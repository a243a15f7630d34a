algorithm "demo/hello" {
  path = "algos/hello"
  timeout "300s"
}
