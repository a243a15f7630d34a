# The configuration `make run` serves: example algorithms in every LangPack.
# Paths are relative to this file. The README's configuration reference
# explains every block and attribute.

server {
  listen = "0.0.0.0:9999"
}

# Python: src/hello.py defines apply(input).
algorithm "demo/hello" {
  langpack = "python"
  path     = "../examples/python/hello"
  version  = "1.0.0"
}

# Node.js: src/hello.js exports apply(input); the LangPack comes from
# algorithmia.conf ("language": "javascript").
algorithm "demo/hello-js" {
  path    = "../examples/node/hello"
  version = "1.0.0"
}

# Ruby: src/hello.rb defines apply(input).
algorithm "demo/hello-ruby" {
  path = "../examples/ruby/hello"
}

# R: src/hello.r defines algorithm <- function(input).
algorithm "demo/hello-r" {
  path = "../examples/r/hello"
}

# Java: the class algorithmia.hello.hello has an apply method; compiled
# with javac when it loads (once: the classes are kept in .langserver/).
algorithm "demo/hello-java" {
  path = "../examples/java/hello"
}

# Scala: the class algorithmia.hello.hello has an apply method; compiled
# with scalac when it loads.
algorithm "demo/hello-scala" {
  path = "../examples/scala/hello"
}

# Rust: a library crate whose src/lib.rs has pub fn apply(input: Value);
# built with cargo, offline against Debian's crates, when it loads.
algorithm "demo/hello-rust" {
  path = "../examples/rust/hello"
}

# Go: src/hello.go has func Apply(input any) (any, error); compiled with
# the LangPack's runner main when it loads.
algorithm "demo/hello-go" {
  path = "../examples/go/hello"
}

# C#: src/hello.cs has a public class with an Apply method; compiled with
# Mono's mcs when it loads.
algorithm "demo/hello-csharp" {
  path = "../examples/csharp/hello"
}

# Two versions of one algorithm: /v1/algo/demo/echo serves the newest.
algorithm "demo/echo" {
  path    = "../examples/python/echo"
  version = "0.1.0"
}

algorithm "demo/echo" {
  path    = "../examples/node/echo"
  version = "0.2.0"
}
