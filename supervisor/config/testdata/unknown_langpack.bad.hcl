langpack "pyhton" {
  interpreter = "/usr/bin/python3"
}

algorithm "demo/hello" {
  langpack = "pyton"
  path     = "algos/hello"
}

algorithm "demo/echo" {
  langpack = "ruby"
  path     = "algos/echo"
}
