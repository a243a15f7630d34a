algorithm "demo/hello" {
  path = "algos/notadir"
}
