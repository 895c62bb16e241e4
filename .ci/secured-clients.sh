#!/usr/bin/env bash
# kcat (librdkafka) and kafka-python over each listener kind of the standalone server: PLAINTEXT, SSL, SASL_PLAINTEXT,
# SASL_SSL. Right credentials produce and consume, wrong ones are refused with Kafka's error, and a 600 KiB request
# before authentication closes the connection. Certificates: a throwaway CA and server certificate made with openssl.
# Usage: .ci/secured-clients.sh   (expects `dotnet build -c Release src/ReactiveKafka.Broker.Server` done)
# Env: LOG_LEVEL (broker log level, default information), KEEP_LOG=1 to print the broker log at the end,
# CONFIGURATION (default Release) of the server build to run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PY=/usr/bin/python3
need_install=()
command -v kcat >/dev/null 2>&1 || need_install+=(kcat)
command -v openssl >/dev/null 2>&1 || need_install+=(openssl)
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

# A throwaway CA and a server certificate for localhost / 127.0.0.1 signed by it.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=secured-clients CA" -keyout "$tmp/ca.key" -out "$tmp/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$tmp/server.key" -out "$tmp/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$tmp/san.ext"
openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial -days 2 -extfile "$tmp/san.ext" -out "$tmp/server.pem" 2>/dev/null
printf 'alice:alice-pw\nbob:bob-pw\n' >"$tmp/users.txt"

dotnet run -c "${CONFIGURATION:-Release}" --no-build --project src/ReactiveKafka.Broker.Server -- \
  --data-dir "$tmp/data" --log-level "${LOG_LEVEL:-information}" \
  --listeners "PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0" \
  --ssl-cert "$tmp/server.pem" --ssl-key "$tmp/server.key" \
  --sasl-mechanisms PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER --sasl-users-file "$tmp/users.txt" >"$log" 2>&1 &
server_pid=$!

for _ in $(seq 1 300); do
  grep -q '^READY ' "$log" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.2
done
grep -q '^READY ' "$log" || { echo "FAIL: broker did not print READY within 60s"; cat "$log"; exit 1; }
address() { sed -n "s/^LISTENER $1 [A-Z_]* //p" "$log" | tr -d '\r' | head -n1; }
PLAINTEXT="$(address PLAINTEXT)"; SSL="$(address SSL)"; SASL_PLAINTEXT="$(address SASL_PLAINTEXT)"; SASL_SSL="$(address SASL_SSL)"
echo "Listeners: PLAINTEXT=$PLAINTEXT SSL=$SSL SASL_PLAINTEXT=$SASL_PLAINTEXT SASL_SSL=$SASL_SSL"

failures=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1"; failures=$((failures + 1)); }

# kcat: produce 5 lines and read them back over one listener with the given -X settings.
kcat_round_trip() {
  local name="$1" bootstrap="$2"; shift 2
  local topic="kcat-${name,,}" expected="$tmp/expected-$name.txt"
  for i in $(seq 1 5); do echo "$name-line-$i"; done >"$expected"
  if kcat -b "$bootstrap" "$@" -P -t "$topic" -X message.timeout.ms=20000 <"$expected" \
     && timeout 60 kcat -b "$bootstrap" "$@" -C -t "$topic" -o beginning -e -q >"$tmp/out-$name.txt" \
     && diff -u "$expected" "$tmp/out-$name.txt"; then
    pass "kcat produce + consume over $name"
  else
    fail "kcat produce + consume over $name"
  fi
}

TLS=(-X security.protocol=ssl -X "ssl.ca.location=$tmp/ca.pem")
kcat_round_trip PLAINTEXT "$PLAINTEXT"
kcat_round_trip SSL "$SSL" "${TLS[@]}"
kcat_round_trip SASL_PLAINTEXT-PLAIN "$SASL_PLAINTEXT" -X security.protocol=sasl_plaintext -X sasl.mechanism=PLAIN -X sasl.username=alice -X sasl.password=alice-pw
kcat_round_trip SASL_SSL-SCRAM-SHA-512 "$SASL_SSL" -X security.protocol=sasl_ssl -X "ssl.ca.location=$tmp/ca.pem" -X sasl.mechanism=SCRAM-SHA-512 -X sasl.username=bob -X sasl.password=bob-pw
kcat_round_trip SASL_SSL-OAUTHBEARER "$SASL_SSL" -X security.protocol=sasl_ssl -X "ssl.ca.location=$tmp/ca.pem" -X sasl.mechanism=OAUTHBEARER -X enable.sasl.oauthbearer.unsecure.jwt=true -X sasl.oauthbearer.config=principal=carol

# kcat with a wrong password: refused with Kafka's message.
if out=$(timeout 30 kcat -b "$SASL_SSL" -X security.protocol=sasl_ssl -X "ssl.ca.location=$tmp/ca.pem" -X sasl.mechanism=SCRAM-SHA-256 \
          -X sasl.username=alice -X sasl.password=wrong -L -m 5 2>&1); then
  fail "kcat with a wrong SCRAM password was let in"
elif grep -q "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256" <<<"$out"; then
  pass "kcat wrong SCRAM password refused with Kafka's message"
else
  fail "kcat wrong password: unexpected output: $(head -c 400 <<<"$out")"
fi

if out=$(timeout 30 kcat -b "$SASL_PLAINTEXT" -X security.protocol=sasl_plaintext -X sasl.mechanism=PLAIN \
          -X sasl.username=bob -X sasl.password=wrong -L -m 5 2>&1); then
  fail "kcat with a wrong PLAIN password was let in"
elif grep -q "Invalid username or password" <<<"$out"; then
  pass "kcat wrong PLAIN password refused with Kafka's message"
else
  fail "kcat wrong PLAIN password: unexpected output: $(head -c 400 <<<"$out")"
fi

# kafka-python over each listener kind (2.0.2 speaks SaslHandshake v1 and SaslAuthenticate, or raw tokens), a wrong
# password, and a 600 KiB unauthenticated request.
if timeout 180 "$PY" - "$PLAINTEXT" "$SSL" "$SASL_PLAINTEXT" "$SASL_SSL" "$tmp/ca.pem" <<'PYEOF'
import socket, struct, sys
from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError

plaintext, ssl_addr, sasl_plain, sasl_ssl, ca = sys.argv[1:6]
cases = [
    ("PLAINTEXT", plaintext, {}),
    ("SSL", ssl_addr, {"security_protocol": "SSL", "ssl_cafile": ca}),
    ("SASL_PLAINTEXT-PLAIN", sasl_plain, {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "PLAIN", "sasl_plain_username": "alice", "sasl_plain_password": "alice-pw"}),
    ("SASL_SSL-SCRAM-SHA-256", sasl_ssl, {"security_protocol": "SASL_SSL", "ssl_cafile": ca, "sasl_mechanism": "SCRAM-SHA-256", "sasl_plain_username": "bob", "sasl_plain_password": "bob-pw"}),
]
ok = True
for name, bootstrap, security in cases:
    topic = "kafka-python-" + name.lower()
    try:
        producer = KafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=20000, **security)
        for i in range(5):
            producer.send(topic, value=f"{name}-{i}".encode()).get(timeout=30)
        producer.close()
        consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", consumer_timeout_ms=10000, **security)
        got = [m.value.decode() for m in consumer]
        consumer.close()
        if got[:5] != [f"{name}-{i}" for i in range(5)]:
            print("kafka-python", name, "read", got); ok = False
        else:
            print("kafka-python", name, "produced and consumed 5")
    except Exception as e:
        print("kafka-python", name, "failed:", repr(e)); ok = False

try:
    KafkaProducer(bootstrap_servers=sasl_plain, security_protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN",
                  sasl_plain_username="alice", sasl_plain_password="wrong", request_timeout_ms=5000, max_block_ms=5000)
    print("kafka-python: a wrong password was let in"); ok = False
except KafkaError as e:
    print("kafka-python: wrong password refused:", type(e).__name__)

host, port = sasl_plain.rsplit(":", 1)
s = socket.create_connection((host, int(port)), timeout=10)
header = struct.pack(">hhih", 18, 0, 1, 2) + b"py"
try:
    s.sendall(struct.pack(">i", 600 * 1024) + header + b"\0" * (600 * 1024 - len(header)))
except OSError:
    pass
try:
    closed = s.recv(1) == b""
except OSError:
    closed = True
print("600 KiB unauthenticated request: connection closed" if closed else "600 KiB unauthenticated request was answered")
ok = ok and closed
sys.exit(0 if ok else 1)
PYEOF
then
  pass "kafka-python over PLAINTEXT, SSL, SASL_PLAINTEXT (PLAIN), SASL_SSL (SCRAM); wrong password refused; 600 KiB pre-auth request closed"
else
  fail "kafka-python secured listeners"
fi

if grep -q "Failed authentication with 127.0.0.1" "$log"; then pass "failed logins are logged"; else fail "no failed login in the broker log"; fi

if ((failures)); then
  echo "secured-clients: $failures check(s) FAILED"
  [[ "${KEEP_LOG:-0}" == 1 ]] || { echo "----- broker log (tail) -----"; tail -50 "$log"; }
  exit 1
fi
echo "secured-clients: all checks PASSED"
