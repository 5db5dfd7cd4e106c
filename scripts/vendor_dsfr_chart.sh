#!/usr/bin/env bash
# Vendors @gouvfr/dsfr-chart (MIT) into static/vendor/dsfr-chart/<version>/.
#
# Why vendored rather than loaded from a CDN: the CSP allows scripts from 'self' only, and a
# public service must not make its visitors' browsers call a third party. Why committed: CI
# and `make run` must not need npm. The tarball is checked against the integrity hash the npm
# registry publishes for that version before anything is copied.
#
# Usage: scripts/vendor_dsfr_chart.sh [VERSION]   (then point templates/includes/dsfr_chart.html
# at the new folder, delete the old one, and update docs/dependencies.md)
set -euo pipefail

VERSION="${1:-2.0.4}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/static/vendor/dsfr-chart/$VERSION"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

META="$WORK/meta.json"
curl -fsS "https://registry.npmjs.org/@gouvfr/dsfr-chart/$VERSION" -o "$META"
read -r TARBALL INTEGRITY < <(python3 - "$META" <<'PY'
import json
import sys

dist = json.load(open(sys.argv[1]))["dist"]
print(dist["tarball"], dist["integrity"])
PY
)

curl -fsS "$TARBALL" -o "$WORK/package.tgz"
ACTUAL="sha512-$(openssl dgst -sha512 -binary "$WORK/package.tgz" | base64 -w0)"
if [ "$ACTUAL" != "$INTEGRITY" ]; then
    echo "integrity mismatch for $TARBALL: expected $INTEGRITY, got $ACTUAL" >&2
    exit 1
fi

tar -xzf "$WORK/package.tgz" -C "$WORK"
rm -rf "$DEST"
mkdir -p "$DEST"
# The all-in-one build: line, bar and map charts are used, so one file is loaded per page.
cp "$WORK/package/dist/DSFRChart/DSFRChart.js" "$WORK/package/dist/DSFRChart/DSFRChart.css" \
    "$WORK/package/LICENSE" "$DEST/"
echo "$INTEGRITY" >"$DEST/INTEGRITY"
echo "vendored @gouvfr/dsfr-chart $VERSION into ${DEST#"$ROOT"/}"
