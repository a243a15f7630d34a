server {
  listen = "9999"
}
