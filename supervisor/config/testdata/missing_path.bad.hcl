algorithm "demo/hello" {
  version = "1.0.0"
}
