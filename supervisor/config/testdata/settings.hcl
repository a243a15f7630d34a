# Fixtures for LangPack.Settings, one langpack block per case.
langpack "all" {
  interpreter = "/usr/bin/python3"
  unbuffered  = true
  workers     = 4
  ratio       = 0.25
  token       = env("TOKEN")
}

langpack "partial" {
  interpreter = "/usr/bin/python3"
  unbuffered  = null
}

langpack "bad" {
  interpretr = "/usr/bin/python3"
  unbuffered = "yes"
  workers    = "4"
  ratio      = false
  token      = env("UNSET_TOKEN")
  venv {
    path = "/opt/venv"
  }
}
