algorithm "demo/hello" {
  path = "algos/hello"
  env = {
    A = env(5)
    B = env()
    C = env("TOKEN", "ALGO_KEY")
    D = env("")
    E = envv("TOKEN")
    F = TOKEN
  }
}
