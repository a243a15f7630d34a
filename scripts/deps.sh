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
)

missing=()
for cmd in "${!wanted[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${wanted[$cmd]}")
done
# pip must work as a module of the python3 on PATH (Build uses python3 -m pip).
if command -v python3 >/dev/null 2>&1 && ! python3 -m pip --version >/dev/null 2>&1; then
  missing+=(python3-pip)
fi
if [ "${PROTO:-}" = 1 ] && ! command -v protoc >/dev/null 2>&1; then
  missing+=(protobuf-compiler)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
