#!/usr/bin/env bash
# Builds etcd, kube-apiserver, kube-controller-manager and kubectl from the Go
# module proxy into .cache/controlplane/<version>/bin, once per version.
# Usage: test/controlplane/build.sh   (prints the bin directory on stdout)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
k8s_version=$(awk '$1=="k8s.io/kubernetes" && $2 ~ /^v/ {print $2; exit}' "$here/go.mod")
etcd_version=$(awk '$1=="go.etcd.io/etcd/server/v3" && $2 ~ /^v/ {print $2; exit}' "$here/go.mod")
minor=${k8s_version#v1.}; minor=${minor%%.*}
ldflags="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $p.gitVersion=$k8s_version -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
done
# The cache key covers the versions, the exact dependency set and the flags.
key="${k8s_version}-etcd${etcd_version}-$( (cat "$here/go.mod" "$here/go.sum"; echo "$ldflags") | sha256sum | cut -c1-12)"
out="$root/.cache/controlplane/$key"
bin="$out/bin"

# Stable links in .cache/bin, which the Makefile puts first on PATH (kubectl matching the server).
link() {
  mkdir -p "$root/.cache/bin"
  for b in etcd kube-apiserver kube-controller-manager kubectl; do ln -sfn "$bin/$b" "$root/.cache/bin/$b"; done
}

if [ -f "$out/.complete" ]; then
  link
  echo "$bin"
  exit 0
fi
command -v go >/dev/null || { echo "build.sh: go is not installed (need Go >= 1.24; the module proxy provides the rest)" >&2; exit 1; }
mkdir -p "$bin"
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-trimpath -mod=mod"
cd "$here"
start=$(date +%s)
echo "build.sh: building Kubernetes $k8s_version and etcd $etcd_version into $bin (cold build: several minutes)" >&2
go build -ldflags "$ldflags" -o "$bin/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
go build -ldflags "$ldflags" -o "$bin/kube-controller-manager" k8s.io/kubernetes/cmd/kube-controller-manager
go build -ldflags "$ldflags" -o "$bin/kubectl" k8s.io/kubernetes/cmd/kubectl
go build -ldflags "-s -w" -o "$bin/etcd" go.etcd.io/etcd/server/v3
echo "build.sh: built in $(( $(date +%s) - start ))s" >&2
touch "$out/.complete"
# Older builds are ours and no longer pinned: drop them (about 270 MB each).
for old in "$root"/.cache/controlplane/*/; do [ "${old%/}" = "$out" ] || rm -rf "$old"; done
link
echo "$bin"
