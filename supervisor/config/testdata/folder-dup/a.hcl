server {
  listen = ":9000"
}

plugins {
  dir = "../plugins"
}

langpack "python" {
}

algorithm "demo/hello" {
  path = "../algos/hello"
}
