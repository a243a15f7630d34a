algorithm "demo/hello" {
  path  = "algos/hello"
  queue = -1
}
