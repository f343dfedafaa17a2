#!/usr/bin/env bash
# Fetch the W3C Nu HTML checker (vnu.jar) from the npm registry into .cache/ (once).
# The HTML validity tests use it with Java; without npm or Java they skip (CI installs both).
set -euo pipefail
version=26.9.27
target=.cache/vnu.jar
[ -f "$target" ] && exit 0
if ! command -v npm >/dev/null; then
  echo "get-vnu: npm not found; the HTML validity tests will skip" >&2
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "vnu-jar@$version" >/dev/null && tar xzf "vnu-jar-$version.tgz")
mkdir -p .cache
mv "$tmp/package/build/dist/vnu.jar" "$target"
echo "get-vnu: $target (vnu-jar $version)"
