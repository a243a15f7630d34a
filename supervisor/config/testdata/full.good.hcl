server {
  listen         = "127.0.0.1:8080"
  max_body       = "1MiB"
  api_keys       = ["k1", env("ALGO_KEY")]
  read_timeout   = "90s"
  shutdown_grace = "0s"
  max_timeout    = "10m"
  max_output     = "2MiB"
  max_result     = "20MB"
  data_dir       = "state/jobs"
}

jobs {
  max_queued           = 500
  retention            = "1h"
  callback_backoff_min = "100ms"
  callback_backoff_max = "10s"
}

plugins {
  dir = "plugins"
}

langpack "python" {
  interpreter = "/usr/bin/python3"
  unbuffered  = true
}

algorithm "demo/hello" {
  langpack     = "python"
  path         = "./algos/hello"
  version      = "1.0.0"
  timeout      = "10s"
  load_timeout = "1m30s"
  env          = { GREETING = "hi", TOKEN = env("TOKEN") }
  workers {
    min               = 0
    max               = 4
    idle_timeout      = "2m"
    max_restart_delay = "5s"
  }
  queue      = 0
  max_output = "64KiB"
  callback {
    url          = "https://hooks.example.com/langserver"
    secret       = env("ALGO_KEY")
    max_attempts = 5
  }
}

# A second version of the same algorithm.
algorithm "demo/hello" {
  path    = "algos/hello"
  version = "2.1.10"
}

algorithm "demo/echo" {
  langpack = "pipe"
  path     = "algos/echo/"
  workers {
    max = 3
  }
}
