#!/usr/bin/env bash
# The issue-16 examples, each a `dotnet run` on the bundled broker that exits non-zero when its scenario's check
# fails (counts, restored state, replica equal to source). Expects the Release build of .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
for example in DeadLetters Table WindowedAggregate ChangeDataCapture; do
  printf '\n--- examples/%s (%s)\n' "$example" "$(date +%H:%M:%S)"
  timeout 180 dotnet run -c Release --no-build --project "examples/$example"
done
