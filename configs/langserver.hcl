# The configuration `make run` serves: example algorithms in every LangPack.
# Paths are relative to this file. The README's configuration reference
# explains every block and attribute.

server {
  listen = "0.0.0.0:9999"
}

# Python: src/hello.py defines apply(input).
algorithm "demo/hello" {
  langpack = "python"
  path     = "../examples/python/hello"
  version  = "1.0.0"
}

# Node.js: src/hello.js exports apply(input); the LangPack comes from
# algorithmia.conf ("language": "javascript").
algorithm "demo/hello-js" {
  path    = "../examples/node/hello"
  version = "1.0.0"
}

# Two versions of one algorithm: /v1/algo/demo/echo serves the newest.
algorithm "demo/echo" {
  path    = "../examples/python/echo"
  version = "0.1.0"
}

algorithm "demo/echo" {
  path    = "../examples/node/echo"
  version = "0.2.0"
}
