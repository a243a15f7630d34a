algorithm "demo/echo" {
  path = "../algos/echo"
}

algorithm "demo/hello" {
  path    = "../algos/hello"
  version = "1.1.0"
}
