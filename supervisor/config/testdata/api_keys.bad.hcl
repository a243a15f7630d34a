server {
  api_keys = ["k1", 2, "", null]
}
