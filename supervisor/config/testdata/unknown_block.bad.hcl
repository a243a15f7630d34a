servr {
  listen = ":9000"
}

algorithm "demo/hello" {
  path = "algos/hello"
  worker {
    max = 2
  }
}
