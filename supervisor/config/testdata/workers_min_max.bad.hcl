algorithm "demo/hello" {
  path = "algos/hello"
  workers {
    min = 4
    max = 2
  }
}

algorithm "demo/echo" {
  path = "algos/echo"
  workers {
    min = 6
  }
}
