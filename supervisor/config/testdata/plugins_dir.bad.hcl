plugins {
  dir = "no-such-plugins"
}
