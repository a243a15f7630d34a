algorithm "demo/hello" {
  path = "algos/hello"
}

algorithm "demo/hello" {
  path    = "algos/hello"
  version = "2.0.0"
}

algorithm "demo/hello" {
  path    = "algos/hello"
  version = "1.0.0"
}
