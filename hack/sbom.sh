#!/usr/bin/env bash
# make sbom: writes the CycloneDX SBOM (JSON) of the node_modules the image ships.
# Usage: hack/sbom.sh OUT.json
#
# It makes that node_modules the way the Dockerfile does (the same `npm ci` flags, from the
# same lockfile, in a scratch folder) and has @cyclonedx/cyclonedx-npm describe it, so a
# package the developer tree holds and the image does not (dev tools, optional ones, anything
# extraneous) cannot reach the SBOM. test/unit/sbom.test.ts checks the result against the
# lockfile and the Dockerfile's flags. npm reads the tarballs from its cache (`make install`
# fetched them), so this takes seconds.
set -euo pipefail
out=${1:?usage: hack/sbom.sh OUT.json}
root=$(cd "$(dirname "$0")/.." && pwd)
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
work=$(mktemp -d "${TMPDIR:-/tmp}/kubeposture-sbom.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$root/package.json" "$root/package-lock.json" "$work/"

# The Dockerfile's production install, flag for flag.
(cd "$work" && npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund --loglevel=error) >"$work/npm.log" || {
  cat "$work/npm.log" >&2
  exit 1
}

# -vv: the generator says whether it validated. When its optional schema validator (ajv) is
# missing it skips validation with only a warning, and a skipped check must not pass.
"$root/node_modules/.bin/cyclonedx-npm" --omit dev --omit optional --spec-version 1.6 --output-reproducible \
  --validate -vv --output-file "$work/bom.json" "$work/package.json" 2>"$work/generator.log" || {
  cat "$work/generator.log" >&2
  exit 1
}
grep -q 'BOM result appears valid' "$work/generator.log" || {
  cat "$work/generator.log" >&2
  echo "sbom: the generator did not validate the SBOM against the CycloneDX schema; $out not written" >&2
  exit 1
}
mkdir -p "$(dirname "$out")"
cp "$work/bom.json" "$out"
echo "sbom: wrote $out (CycloneDX 1.6, validated against its JSON schema)"
