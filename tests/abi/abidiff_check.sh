#!/usr/bin/env bash
# abidiff of the SDK types (through sdk/abi-probe.c) against the stored baseline.
# Exit bits (abigail 2.2): 1 error, 2 usage, 4 change, 8 incompatible change.
# A change (4) is allowed only together with a minor bump and a green layout lock, which the
# build already enforces; anything with bit 8 or 1 fails.
set -u
baseline=$1 probe=$2 headers=$3
command -v abidiff >/dev/null || { echo "abidiff not installed (abigail-tools): skipped"; exit 77; }
abidiff --headers-dir2 "$headers" "$baseline" "$probe"
rc=$?
if (( rc & 1 || rc & 2 || rc & 8 )); then
  echo "abidiff: incompatible ABI change or error (rc=$rc)"
  exit 1
fi
if (( rc & 4 )); then
  minor=$(sed -n 's/#define CC_ABI_MINOR \([0-9]*\)/\1/p' "$headers/concourse/version.h")
  base_minor=$(basename "$baseline" .abi); base_minor=${base_minor#*.}
  if [[ $minor == "$base_minor" ]]; then
    echo "abidiff: the ABI changed but CC_ABI_MINOR is still $minor: bump it (appending only)"
    exit 1
  fi
  echo "abidiff: compatible change for minor $minor over baseline $base_minor (rc=$rc)"
fi
exit 0
