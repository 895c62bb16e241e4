#!/usr/bin/env bash
# Adds the public API a project gained (RS0016) to its PublicAPI.Unshipped.txt and marks what it lost (RS0017), with
# the analyzer's own code fix. Usage: .ci/public-api.sh src/ReactiveKafka [src/ReactiveKafka.Testing ...]
# (no argument: every project under src/ that tracks its API). Review the diff: it is the API change.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
projects=("$@")
if ((${#projects[@]} == 0)); then
  mapfile -t projects < <(dirname src/*/PublicAPI.Shipped.txt)
fi
for project in "${projects[@]}"; do
  dotnet format analyzers "$project" --diagnostics RS0016 RS0017 --severity warn -v quiet || true
  git --no-pager diff --stat -- "$project/PublicAPI.Unshipped.txt"
done
