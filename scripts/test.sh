#!/usr/bin/env bash
# Builds with the release preset and runs every unit and integration test (not the `slow` ones).
#   scripts/test.sh            # release build
#   PRESET=asan scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${PRESET:-release}
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset" -LE slow --parallel 2 "$@"
