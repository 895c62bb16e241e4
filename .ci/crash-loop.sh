#!/usr/bin/env bash
# The full kill -9 loop of issue 12: 20 SIGKILLs of the standalone server under one idempotent acks=all producer that
# lives across the restarts; every acknowledged record must be in the log exactly once, with no duplicate anywhere.
# CI (`.ci/run`) runs the same test with 3 loops. Usage: bash .ci/crash-loop.sh [loops]   (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
loops="${1:-20}"
dotnet build tests/ReactiveKafka.Broker.Tests -c Release
REACTIVEKAFKA_CRASH_LOOPS="$loops" dotnet test tests/ReactiveKafka.Broker.Tests -c Release --no-build \
  --filter "FullyQualifiedName~IdempotentCrashLoopTests" --logger "console;verbosity=normal"
