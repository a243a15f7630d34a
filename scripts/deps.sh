#!/usr/bin/env bash
# Installs what langserver's LangPacks and tests need, and nothing that is
# already there: Debian packages for the language runtimes (the tests'
# npm package, Algorithmia's official client, is installed by the test
# itself into .cache/). Idempotent; run as root (or with sudo available).
# Safe with no standard input.
set -euo pipefail

# command -> Debian package that provides it
declare -A wanted=(
  [python3]=python3
  [pip3]=python3-pip
  [node]=nodejs
  [npm]=npm
  [ruby]=ruby
  [Rscript]=r-base-core
  [javac]=default-jdk-headless
  [scalac]=scala
  [mcs]=mono-devel
  [nunit-console]=nunit-console
  [go]=golang-go
)

# file (a glob) -> Debian package that provides it: the libraries the
# LangPacks compile and test against, offline.
declare -A files=(
  [/usr/share/java/gson.jar]=libgoogle-gson-java
  [/usr/share/java/junit4.jar]=junit4
  [/usr/share/java/hamcrest-core.jar]=libhamcrest-java
  ['/usr/share/cargo/registry/serde_json-*']=librust-serde-json-dev
  ['/usr/lib/cli/nunit.framework-*/nunit.framework.dll']=libnunit-cil-dev
)

# R package -> Debian package that provides it
declare -A rpackages=(
  [jsonlite]=r-cran-jsonlite
  [testthat]=r-cran-testthat
)

# Ruby library -> Debian package that provides it
declare -A gems=(
  [bundler]=ruby-bundler
  [minitest]=ruby-minitest
)

missing=()
for cmd in "${!wanted[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${wanted[$cmd]}")
done
for pattern in "${!files[@]}"; do
  compgen -G "$pattern" >/dev/null || missing+=("${files[$pattern]}")
done
# pip must work as a module of the python3 on PATH (Build uses python3 -m pip).
if command -v python3 >/dev/null 2>&1 && ! python3 -m pip --version >/dev/null 2>&1; then
  missing+=(python3-pip)
fi
for pkg in "${!rpackages[@]}"; do
  if ! command -v Rscript >/dev/null 2>&1 ||
    ! Rscript -e "quit(status = !requireNamespace('$pkg', quietly = TRUE))" >/dev/null 2>&1; then
    missing+=("${rpackages[$pkg]}")
  fi
done
for gem in "${!gems[@]}"; do
  if ! command -v ruby >/dev/null 2>&1 || ! ruby -e "gem '$gem'" >/dev/null 2>&1; then
    missing+=("${gems[$gem]}")
  fi
done
# The rust LangPack finds cargo on PATH or where rustup puts it. Debian 12's
# own cargo is too old; its cargo-web and rustc-web are recent (chosen
# below, once the package lists are fresh).
rust=""
if ! command -v cargo >/dev/null 2>&1 && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/cargo" ]; then
  rust=1
fi
if [ "${PROTO:-}" = 1 ] && ! command -v protoc >/dev/null 2>&1; then
  missing+=(protobuf-compiler)
fi

if [ ${#missing[@]} -eq 0 ] && [ -z "$rust" ]; then
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
if [ -n "$rust" ]; then
  if [ -n "$(apt-cache policy cargo-web 2>/dev/null | sed -n 's/^ *Candidate: //p' | grep -v '(none)')" ]; then
    missing+=(cargo-web rustc-web)
  else
    missing+=(cargo rustc)
  fi
fi
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "deps: installing ${missing[*]}"
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
