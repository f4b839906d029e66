#!/usr/bin/env bash
# Copies the generated reference pages (arguments: <page>_generated.md files) to
# docs/reference/<page>.md in the workspace. Run as: tools/bazel run //docs:update
set -euo pipefail
dest="${BUILD_WORKSPACE_DIRECTORY:?run with bazel run}/docs/reference"
mkdir -p "$dest"
for generated in "$@"; do
  page=$(basename "$generated" _generated.md)
  install -m 0644 "$generated" "$dest/$page.md.tmp"
  mv "$dest/$page.md.tmp" "$dest/$page.md"
  echo "docs/reference/$page.md"
done
