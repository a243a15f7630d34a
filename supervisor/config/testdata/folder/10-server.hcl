server {
  listen = ":9000"
}

algorithm "demo/hello" {
  path = "../algos/hello"
}
