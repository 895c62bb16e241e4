#!/usr/bin/env bash
# Container mode for real: starts a Docker engine (.ci/start-docker.sh, installing docker.io if needed),
# builds the bundled broker's image (docker/build-broker-image.sh), runs the tests tagged
# Category=Container with REACTIVEKAFKA_TEST_BROKER=container, and stops the engine again if this
# script started it. Fails when a test fails, and also when the bundled-image tests did not actually
# run (skipped) — here, where the engine and the image are provided, a skip would hide a problem.
# Expects the test project built in Release (as .ci/run does); builds it when it is not.
# Prints: image size, container start time (StartAsync to READY, per test), total time.
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
script_start=$(date +%s.%N)
log() { printf '\n=== %s (%s)\n' "$*" "$(date +%H:%M:%S)"; }
results=artifacts/container-test-results
rm -rf "$results"
mkdir -p "$results"

log "Docker engine"
started_engine=0
if ! docker info >/dev/null 2>&1; then
    started_engine=1
fi
.ci/start-docker.sh
finish() {
    if [ "$started_engine" = 1 ]; then
        .ci/stop-docker.sh || true
    fi
    echo "total script time:     $(awk -v s="$script_start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s (including engine start/stop)"
}
trap finish EXIT

# Testcontainers 4.x speaks Docker API 1.44 (Engine 25+) by default; Debian 12's docker.io (20.10) tops
# out at 1.41. Pin the engine's own version when it is older (an explicit DOCKER_API_VERSION wins).
server_api="$(docker version --format '{{.Server.APIVersion}}')"
if [ -z "${DOCKER_API_VERSION:-}" ] && [ "$(printf '%s\n1.44\n' "$server_api" | sort -V | head -1)" != 1.44 ]; then
    export DOCKER_API_VERSION="$server_api"
    echo "engine API $server_api < 1.44: DOCKER_API_VERSION=$DOCKER_API_VERSION for Testcontainers"
fi

log "Broker image"
docker/build-broker-image.sh | tee "$results/image-build.log"
image_size="$(docker image inspect --format '{{.Size}}' reactivekafka/broker:local)"

if [ ! -f tests/ReactiveKafka.Tests/bin/Release/net10.0/ReactiveKafka.Tests.dll ]; then
    log "Building the test project (not built yet)"
    dotnet build tests/ReactiveKafka.Tests -c Release
fi

log "Container tests (Category=Container)"
status=0
REACTIVEKAFKA_TEST_BROKER=container dotnet test tests/ReactiveKafka.Tests -c Release --no-build \
    --filter "Category=Container" \
    --logger "console;verbosity=detailed" --logger "trx;LogFileName=container-tests.trx" \
    --results-directory "$results" 2>&1 | tee "$results/dotnet-test.log" || status=$?

log "Container test summary"
python3 - "$results/container-tests.trx" <<'PY' || status=1
import re, sys
text = open(sys.argv[1], encoding='utf-8').read()
outcomes = re.findall(r'<UnitTestResult [^>]*testName="([^"]+)"[^>]*outcome="(\w+)"', text)
for name, outcome in outcomes:
    print(f"  {outcome:<10} {name}")
passed = sum(1 for _, o in outcomes if o == 'Passed')
failed = sum(1 for _, o in outcomes if o in ('Failed', 'Error', 'Timeout', 'Aborted'))
skipped = sum(1 for _, o in outcomes if o == 'NotExecuted')
print(f"{passed} passed, {failed} failed, {skipped} skipped")
# With the engine running and the image built, the bundled-image tests must have run.
bundled_not_run = [n for n, o in outcomes if 'BundledImage' in n and o != 'Passed']
if bundled_not_run:
    print("bundled-image tests that did not pass: " + ", ".join(bundled_not_run))
sys.exit(1 if failed or bundled_not_run or passed == 0 else 0)
PY

log "Figures"
echo "image size:            $((image_size / 1024 / 1024)) MiB ($image_size bytes)"
grep -o 'container-start: .*' "$results/dotnet-test.log" | sed 's/^container-start: /container start:       /' || echo "container start:       (no container started)"
exit "$status"
