server {
  api_keys = [env("ALGO_KEY"), env("MISSING_KEY")]
}

algorithm "demo/hello" {
  path = "algos/hello"
  env  = { TOKEN = env("UNSET_TOKEN") }
}
