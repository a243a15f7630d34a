algorithm {
  path = "algos/hello"
}
