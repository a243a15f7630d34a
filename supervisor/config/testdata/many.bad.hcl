# Several mistakes at once: all of them are reported.
server {
  listen   = 9999
  max_body = "10 megs"
}

algorithm "hello" {
  langpack = "pyton"
  path     = "algos/nope"
  timeout  = "5 minutes"
  queue    = -1
  workers {
    min = 3
    max = 2
  }
}

algorithm "demo/echo" {
  path    = "algos/echo"
  version = "v1"
  env     = { TOKEN = env("UNSET_TOKEN") }
  retries = 3
}
