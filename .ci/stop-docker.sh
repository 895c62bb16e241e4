#!/usr/bin/env bash
# Stops the Docker engine that .ci/start-docker.sh started (and only that one: an engine that was
# already running before is left alone). Safe to run when nothing is running.
set -euo pipefail

STATE_DIR="${DOCKER_CI_STATE_DIR:-/tmp/reactivekafka-docker}"
PIDFILE="$STATE_DIR/dockerd.pid"

if [ ! -f "$PIDFILE" ]; then
    echo "stop-docker: no engine started by .ci/start-docker.sh; nothing to do."
    exit 0
fi

pid="$(cat "$PIDFILE")"
if kill -0 "$pid" 2>/dev/null; then
    echo "stop-docker: stopping dockerd (pid $pid)"
    kill -TERM "$pid"
    for ((i = 0; i < 80; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.25
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "stop-docker: dockerd still running after 20 s; sending SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
fi
rm -f "$PIDFILE"
echo "stop-docker: stopped."
