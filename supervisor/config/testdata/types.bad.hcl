server {
  listen         = 5
  api_keys       = "x"
  read_timeout   = 60
  shutdown_grace = true
}

algorithm "demo/hello" {
  langpack = ["python"]
  path     = "algos/hello"
  version  = 1
  env      = ["GREETING=hi"]
  queue    = "64"
  workers {
    max = 1.5
  }
}

algorithm "demo/echo" {
  path = "algos/echo"
  env  = { PORT = 8080 }
  queue = 1e12
}
