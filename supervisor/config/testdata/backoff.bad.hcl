jobs {
  callback_backoff_min = "10m"
}
