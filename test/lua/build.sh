#!/usr/bin/env bash
# Builds test/lua (argocd-health: Argo CD's Lua VM, gopher-lua, from the Go module
# proxy) into .cache/lua/<hash>/, once per go.mod, go.sum and main.go.
# Usage: test/lua/build.sh   (prints the binary's path on stdout)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
key=$(cat "$here/go.mod" "$here/go.sum" "$here/main.go" | sha256sum | cut -c1-12)
out="$root/.cache/lua/$key"
bin="$out/argocd-health"
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi
command -v go >/dev/null || { echo "test/lua/build.sh: go is not installed (need Go >= 1.24; the module proxy provides gopher-lua)" >&2; exit 1; }
mkdir -p "$out"
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-trimpath -mod=readonly"
start=$(date +%s)
(cd "$here" && go build -ldflags "-s -w" -o "$bin.tmp" .)
mv "$bin.tmp" "$bin"
echo "test/lua/build.sh: built $bin in $(( $(date +%s) - start ))s" >&2
# Older builds are ours and no longer pinned.
for old in "$root"/.cache/lua/*/; do [ "${old%/}" = "$out" ] || rm -rf "$old"; done
echo "$bin"
