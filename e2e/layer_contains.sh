#!/bin/sh
# layer_contains.sh LAYER PATH...: each PATH is a regular file in the gzip tar LAYER, root-owned.
set -eu
layer=$1
shift
listing=$(tar -tvzf "$layer" --numeric-owner)
for path in "$@"; do
  echo "$listing" | grep -Eq "^-[rwx-]{9} 0/0 .* $path\$" || {
    echo "FAIL: $path is not a root-owned regular file in $layer" >&2
    echo "$listing" >&2
    exit 1
  }
done
echo "ok: $# files in $layer"
