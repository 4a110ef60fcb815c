#!/usr/bin/env bash
# Builds the helm CLI pinned in go.mod from the Go module proxy into .cache/helm/<key>/helm, once
# per version, and links it as .cache/bin/helm. Its own module: helm v4 needs Kubernetes modules
# newer than the control plane's, and Go >= 1.26.
# Usage: test/helm/build.sh   (prints the binary's path on stdout)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
version=$(awk '$1=="helm.sh/helm/v4" && $2 ~ /^v/ {print $2; exit}' "$here/go.mod")
ldflags="-s -w -X helm.sh/helm/v4/internal/version.version=$version"
key="${version}-$( (cat "$here/go.mod" "$here/go.sum"; echo "$ldflags") | sha256sum | cut -c1-12)"
out="$root/.cache/helm/$key"

link() {
  mkdir -p "$root/.cache/bin"
  ln -sfn "$out/helm" "$root/.cache/bin/helm"
}

if [ -f "$out/.complete" ]; then
  link
  echo "$out/helm"
  exit 0
fi
command -v go >/dev/null || { echo "test/helm/build.sh: go is not installed (need Go >= 1.26; the module proxy provides the rest)" >&2; exit 1; }
go_minor=$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
(( go_minor >= 26 )) || { echo "test/helm/build.sh: helm $version needs Go >= 1.26, this is $(go env GOVERSION)" >&2; exit 1; }
mkdir -p "$out"
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-trimpath -mod=mod"
cd "$here"
start=$(date +%s)
echo "test/helm/build.sh: building helm $version into $out (cold build: about a minute or two)" >&2
go build -ldflags "$ldflags" -o "$out/helm" helm.sh/helm/v4/cmd/helm
echo "test/helm/build.sh: built in $(( $(date +%s) - start ))s" >&2
touch "$out/.complete"
for old in "$root"/.cache/helm/*/; do [ "${old%/}" = "$out" ] || rm -rf "$old"; done
link
echo "$out/helm"
