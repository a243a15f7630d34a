server {
  data_dir = "algos/hello/algorithmia.conf"
}

jobs {
  max_queued           = 0
  retention            = "a day"
  callback_backoff_min = "10m"
}

jobs {
  max_queued = 10
}

algorithm "demo/hello" {
  path = "algos/hello"
  callback {
    url          = "hooks.example.com/x"
    secret       = ""
    max_attempts = 0
  }
}

algorithm "demo/echo" {
  path = "algos/echo"
  callback {
    max_attempts = 101
    retries      = 3
  }
}
