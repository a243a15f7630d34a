algorithm "hello" {
  path = "algos/hello"
}

algorithm "demo/hello/extra" {
  path = "algos/hello"
}
