algorithm "demo/hello" {
  path = "algos/hello"
  workers {
    max = 0
  }
}
