// Package config loads the supervisor's HCL configuration: one file, or a
// folder whose *.hcl files are loaded together in name order.
//
//	server {
//	  listen         = "0.0.0.0:9999"
//	  max_body       = "10MiB"
//	  api_keys       = ["k1", env("ALGO_KEY")]
//	  read_timeout   = "60s"
//	  shutdown_grace = "30s"
//	  data_dir       = "data"
//	}
//	jobs {
//	  max_queued           = 10000
//	  retention            = "24h"
//	  callback_backoff_min = "1s"
//	  callback_backoff_max = "5m"
//	}
//	plugins {
//	  dir = "../bin/plugins"
//	}
//	langpack "python" {
//	  interpreter = "/usr/bin/python3"
//	}
//	algorithm "demo/hello" {
//	  langpack     = "python"
//	  path         = "../examples/python/hello"
//	  version      = "1.0.0"
//	  timeout      = "300s"
//	  load_timeout = "5m"
//	  env          = { GREETING = "hi", TOKEN = env("TOKEN") }
//	  workers {
//	    min          = 1
//	    max          = 1
//	    idle_timeout = "5m"
//	  }
//	  queue = 64
//	  callback {
//	    url          = "https://hooks.example.com/langserver"
//	    secret       = env("CALLBACK_SECRET")
//	    max_attempts = 10
//	  }
//	}
//
// Every value but an algorithm's path has a default, given on the field it
// fills. Durations and sizes are strings ("30s", "16MiB"); relative paths
// are relative to the folder of the file that names them. The only function
// is env("NAME"), the value of one of the supervisor's environment variables.
//
// Mistakes come back as hcl.Diagnostics, all of them rather than the first,
// each pointing at the file, line and column it is about; Files renders them
// with the source snippet. A langpack block is not decoded by Load: its
// schema belongs to the LangPack adapter, which declares it so the caller can
// decode it with LangPack.Settings.
package config
