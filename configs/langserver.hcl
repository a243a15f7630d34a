# The configuration `make run` serves: the example algorithms.
# Paths are relative to this file. See the README's configuration reference.

server {
  listen = "0.0.0.0:9999"
}

algorithm "demo/hello" {
  langpack = "python"
  path     = "../examples/python/hello"
  version  = "1.0.0"
}

algorithm "demo/echo" {
  path    = "../examples/python/echo"
  version = "0.1.0"
}
