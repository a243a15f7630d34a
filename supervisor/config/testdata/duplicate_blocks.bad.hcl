server {
  listen = ":9000"
}

plugins {
  dir = "plugins"
}

server {
  listen = ":9001"
}

plugins {
  dir = "plugins"
}

langpack "python" {
}

langpack "python" {
}
