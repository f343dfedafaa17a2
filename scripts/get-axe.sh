#!/usr/bin/env bash
# Fetch axe-core (the accessibility engine the browser tests inject) from the npm registry into
# .cache/ (once). axe-selenium-python ships axe-core 3.1, which predates WCAG 2.2 and its
# "target-size" rule; without npm the browser tests that run axe fail in CI and skip elsewhere.
set -euo pipefail
version=4.10.3
target=.cache/axe-core-$version.min.js
[ -f "$target" ] && exit 0
if ! command -v npm >/dev/null; then
  echo "get-axe: npm not found; the browser tests that run axe will skip" >&2
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "axe-core@$version" >/dev/null && tar xzf "axe-core-$version.tgz")
mkdir -p .cache
mv "$tmp/package/axe.min.js" "$target"
echo "get-axe: $target (axe-core $version)"
