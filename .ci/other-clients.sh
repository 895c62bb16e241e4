#!/usr/bin/env bash
# Checks the bundled broker against other real Kafka clients: kcat (librdkafka) and kafka-python.
# Usage: .ci/other-clients.sh   (expects `dotnet build -c Release src/ReactiveKafka.Broker.Server` done)
# Debian bookworm's kafka-python 2.0.2 probes the broker as (2, 4, 0) and then speaks old, non-flexible
# versions: ApiVersions v0, Metadata v0/v1, Produce v7, Fetch v4, ListOffsets v1, FindCoordinator v0,
# JoinGroup v2, SyncGroup v1, Heartbeat v1, LeaveGroup v1, OffsetCommit v2, OffsetFetch v1.
# Env: LOG_LEVEL (broker log level, default information), KEEP_LOG=1 to print the broker log at the end.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PY=/usr/bin/python3
need_install=()
command -v kcat >/dev/null 2>&1 || need_install+=(kcat)
"$PY" -c 'import kafka' >/dev/null 2>&1 || need_install+=(python3-kafka)
if ((${#need_install[@]})); then
  echo "Installing ${need_install[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_install[@]}" >/dev/null
fi

tmp="$(mktemp -d)"
log="$tmp/broker.log"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [[ "${KEEP_LOG:-0}" == 1 && -f "$log" ]]; then echo "----- broker log -----"; cat "$log"; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

dotnet run -c Release --no-build --project src/ReactiveKafka.Broker.Server -- \
  --data-dir "$tmp/data" --listen 127.0.0.1:0 --log-level "${LOG_LEVEL:-information}" >"$log" 2>&1 &
server_pid=$!

bootstrap=""
for _ in $(seq 1 300); do
  if line=$(grep -m1 '^READY ' "$log" 2>/dev/null); then bootstrap="${line#READY }"; break; fi
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.2
done
if [[ -z "$bootstrap" ]]; then
  echo "FAIL: broker did not print READY within 60s"; cat "$log"; exit 1
fi
bootstrap="${bootstrap//$'\r'/}"
echo "Broker ready at $bootstrap"

failures=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1"; failures=$((failures + 1)); }

expected="$tmp/expected.txt"
for i in $(seq 1 10); do echo "kcat-line-$i"; done >"$expected"

# 1. kcat produce + consume from the beginning.
topic=kcat-plain
if kcat -b "$bootstrap" -P -t "$topic" -X message.timeout.ms=20000 <"$expected" \
   && timeout 60 kcat -b "$bootstrap" -C -t "$topic" -o beginning -e -q >"$tmp/kcat-out.txt" \
   && diff -u "$expected" "$tmp/kcat-out.txt"; then
  pass "kcat produce 10 lines + consume from beginning"
else
  fail "kcat produce + consume"
fi

# 2. kcat keyed produce + consumer-group consume (balanced consumer, exits after N messages).
topic=kcat-group
for i in $(seq 1 10); do echo "k$i:group-line-$i"; done >"$tmp/keyed.txt"
if kcat -b "$bootstrap" -P -t "$topic" -K: <"$tmp/keyed.txt" \
   && timeout 60 kcat -b "$bootstrap" -G kcat-group-1 -X auto.offset.reset=earliest -c 10 -q -f '%k:%s\n' "$topic" >"$tmp/kcat-group.txt" \
   && diff -u "$tmp/keyed.txt" "$tmp/kcat-group.txt"; then
  pass "kcat consumer group (-G) consumed 10 keyed messages"
else
  fail "kcat consumer group consume"
fi

# 3. kafka-python produce + group consume + commit, then a second consumer in the group sees nothing new.
if timeout 120 "$PY" - "$bootstrap" <<'PYEOF'
import sys
from kafka import KafkaProducer, KafkaConsumer, TopicPartition

bootstrap = sys.argv[1]
topic = "kafka-python"
producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
sent = []
for i in range(20):
    key = ("key-%d" % i).encode()
    value = ("value-%d" % i).encode()
    producer.send(topic, key=key, value=value, headers=[("h", b"%d" % i)])
    sent.append((key, value))
producer.flush(30)
producer.close()
print("kafka-python: produced", len(sent), "api_version", producer.config.get("api_version"))

def consume():
    c = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id="py-group",
                      auto_offset_reset="earliest", enable_auto_commit=False,
                      consumer_timeout_ms=10000)
    got = [(m.key, m.value) for m in c]
    return c, got

c, got = consume()
print("kafka-python: consumed", len(got))
if got != sent:
    print("kafka-python: content mismatch", got[:3], "...")
    sys.exit(1)
c.commit()
committed = c.committed(TopicPartition(topic, 0))
c.close()
print("kafka-python: committed offset", committed)
if committed != len(sent):
    print("kafka-python: expected committed offset", len(sent))
    sys.exit(1)
c2, again = consume()
c2.close()
if again:
    print("kafka-python: second consumer in the group re-read", len(again), "messages")
    sys.exit(1)
PYEOF
then
  pass "kafka-python produce 20 + group consume + commit"
else
  fail "kafka-python produce/consume/commit"
fi

if ((failures)); then
  echo "other-clients: $failures check(s) FAILED"
  [[ "${KEEP_LOG:-0}" == 1 ]] || { echo "----- broker log (tail) -----"; tail -50 "$log"; }
  exit 1
fi
echo "other-clients: all checks PASSED"
