server {
  max_body = "10 megs"
}
