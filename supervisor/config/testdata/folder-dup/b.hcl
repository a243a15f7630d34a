server {
  listen = ":9001"
}

plugins {
  dir = "../plugins"
}

langpack "python" {
}

algorithm "demo/hello" {
  path    = "../algos/hello"
  version = "1.0.0"
}
