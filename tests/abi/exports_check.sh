#!/usr/bin/env bash
# Every plugin in DIR must export exactly concourse_plugin_entry (nm -D --defined-only).
set -eu
dir=$1
shopt -s nullglob
plugins=("$dir"/*.so)
(( ${#plugins[@]} )) || { echo "no plugins in $dir"; exit 1; }
status=0
for so in "${plugins[@]}"; do
  syms=$(nm -D --defined-only "$so" | awk '{print $NF}' | sort -u)
  if [[ $syms != concourse_plugin_entry ]]; then
    echo "$so exports more than the entry:"; echo "$syms"; status=1
  fi
done
exit $status
