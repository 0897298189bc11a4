#!/usr/bin/env bash
# Installs the SDK component of this build tree into a fresh prefix, builds sdk/examples/
# hello-runtime against that prefix alone, checks it exports only the entry, and leaves the
# plugin in OUT_DIR for the integration test that loads it into a worker.
set -euo pipefail
build_dir=$1 example_dir=$2 out_dir=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" --component sdk >/dev/null
test -f "$work/prefix/include/concourse/runtime.h"
test -f "$work/prefix/include/concourse/sdk.hpp"
cmake -S "$example_dir" -B "$work/build" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/build" >/dev/null
so="$work/build/hello-runtime.so"
syms=$(nm -D --defined-only "$so" | awk '{print $NF}' | sort -u)
if [[ $syms != concourse_plugin_entry ]]; then
  echo "hello-runtime exports more than the entry: $syms"
  exit 1
fi
mkdir -p "$out_dir"
cp "$so" "$out_dir/"
echo "built $out_dir/hello-runtime.so against the installed SDK"
