server {
  listn = ":9000"
}

algorithm "demo/hello" {
  path   = "algos/hello"
  timout = "10s"
}
