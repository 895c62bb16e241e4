#!/usr/bin/env bash
# Starts a Docker engine for container-mode tests when none is answering. Idempotent: if `docker info`
# already works (a desktop engine, a CI service, or an earlier run of this script), it does nothing.
# Installs docker.io from Debian when dockerd is missing (needs root and apt).
# Stop the engine this script started with .ci/stop-docker.sh.
set -euo pipefail

STATE_DIR="${DOCKER_CI_STATE_DIR:-/tmp/reactivekafka-docker}"
LOG="$STATE_DIR/dockerd.log"
PIDFILE="$STATE_DIR/dockerd.pid"
TIMEOUT="${DOCKER_START_TIMEOUT:-60}"

if docker info >/dev/null 2>&1; then
    echo "start-docker: a Docker engine is already answering ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?')); nothing to do."
    exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "start-docker: dockerd is not installed and cannot be installed here (needs root and apt-get): install Docker." >&2
        exit 1
    fi
    echo "start-docker: installing docker.io"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q docker.io >/dev/null
fi

mkdir -p "$STATE_DIR"
echo "start-docker: starting dockerd (log: $LOG)"
# setsid: the engine must not be in the caller's process group, or a Ctrl+C meant for the tests would kill it.
setsid dockerd --pidfile "$STATE_DIR/dockerd.own.pid" >"$LOG" 2>&1 </dev/null &
echo $! >"$PIDFILE"

for ((i = 0; i < TIMEOUT * 4; i++)); do
    if docker info >/dev/null 2>&1; then
        echo "start-docker: engine ready after $((i / 4)) s (pid $(cat "$PIDFILE")); stop it with .ci/stop-docker.sh"
        exit 0
    fi
    if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
        echo "start-docker: dockerd exited; last lines of $LOG:" >&2
        tail -n 30 "$LOG" >&2
        rm -f "$PIDFILE"
        exit 1
    fi
    sleep 0.25
done

echo "start-docker: dockerd did not answer within ${TIMEOUT} s; last lines of $LOG:" >&2
tail -n 30 "$LOG" >&2
exit 1
