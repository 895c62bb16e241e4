#!/usr/bin/env bash
# kcat (librdkafka) and kafka-python over each listener kind of the standalone server: PLAINTEXT, SSL, SASL_PLAINTEXT,
# SASL_SSL. Right credentials produce and consume, wrong ones are refused with Kafka's error, and a 600 KiB request
# before authentication closes the connection. Then a server with the authorizer on: a principal without READ / WRITE
# on a topic or READ on a group is refused with Kafka's TOPIC/GROUP_AUTHORIZATION_FAILED by both clients, kafka-python's
# admin client creates the ACLs (CreateAcls) and the same calls succeed, and the ACLs survive a restart until
# DeleteAcls removes one. Certificates: a throwaway CA and server certificate made with openssl.
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
printf 'alice:alice-pw\nbob:bob-pw\nadmin:admin-pw\n' >"$tmp/users.txt"

# start_server LOG ARGS...: the standalone server in the background (server_pid), waiting for its READY line in LOG.
start_server() {
  log="$1"; shift
  dotnet run -c "${CONFIGURATION:-Release}" --no-build --project src/ReactiveKafka.Broker.Server -- \
    --log-level "${LOG_LEVEL:-information}" "$@" >"$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 300); do
    grep -q '^READY ' "$log" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.2
  done
  grep -q '^READY ' "$log" || { echo "FAIL: broker did not print READY within 60s"; cat "$log"; exit 1; }
}
stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
address() { sed -n "s/^LISTENER $1 [A-Z_]* //p" "$log" | tr -d '\r' | head -n1; }

start_server "$log" --data-dir "$tmp/data" \
  --listeners "PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0" \
  --ssl-cert "$tmp/server.pem" --ssl-key "$tmp/server.key" \
  --sasl-mechanisms PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER --sasl-users-file "$tmp/users.txt"
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

# ACLs: a second server with the authorizer on (User:admin a super user). alice is refused what no ACL gives her,
# by kcat and kafka-python, with Kafka's TOPIC/GROUP_AUTHORIZATION_FAILED; kafka-python's admin client (as admin)
# creates the ACLs over the broker's CreateAcls and the same calls succeed; the ACLs survive a restart, and once
# DeleteAcls takes one away the call is refused again.
stop_server
start_server "$tmp/acl-broker.log" --data-dir "$tmp/acl-data" \
  --listeners "SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0" --ssl-cert "$tmp/server.pem" --ssl-key "$tmp/server.key" \
  --sasl-users-file "$tmp/users.txt" --super-users User:admin
echo "ACL broker: SASL_PLAINTEXT=$(address SASL_PLAINTEXT) SASL_SSL=$(address SASL_SSL)"

# kcat as admin or alice over the current ACL broker's SASL_PLAINTEXT listener (SCRAM-SHA-256); set after each start.
kcat_users() {
  KCAT_ADMIN=(-b "$(address SASL_PLAINTEXT)" -X security.protocol=sasl_plaintext -X sasl.mechanism=SCRAM-SHA-256 -X sasl.username=admin -X sasl.password=admin-pw)
  KCAT_ALICE=(kcat -b "$(address SASL_PLAINTEXT)" -X security.protocol=sasl_plaintext -X sasl.mechanism=SCRAM-SHA-256 -X sasl.username=alice -X sasl.password=alice-pw)
}
kcat_users
# expect_refused WHAT MESSAGE COMMAND...: the command fails and its output carries librdkafka's text of Kafka's error.
expect_refused() {
  local what="$1" message="$2" out; shift 2
  if out=$(timeout 60 "$@" 2>&1 </dev/null); then
    fail "$what was allowed: $(head -c 300 <<<"$out")"
  elif grep -q "$message" <<<"$out"; then
    pass "$what refused: $message"
  else
    fail "$what: unexpected output: $(head -c 400 <<<"$out")"
  fi
}
printf 'admin-1\nadmin-2\nadmin-3\n' >"$tmp/acl-expected.txt"
printf 'alice-1\nalice-2\n' >"$tmp/acl-alice.txt"
for topic in acl-kcat acl-python; do
  kcat "${KCAT_ADMIN[@]}" -P -t "$topic" -X message.timeout.ms=20000 <"$tmp/acl-expected.txt" || fail "admin (super user) could not produce to $topic"
done

# kafka-python, as admin (ACL admin calls) or as alice (a consumer without and with a group, and a producer), over
# SASL_SSL with SCRAM-SHA-512. Usage: acl.py ADDRESS CA COMMAND; prints what happened, exits 1 on a surprise.
cat >"$tmp/acl.py" <<'PYEOF'
import sys
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import (KafkaAdminClient, ACL, ACLFilter, ACLOperation, ACLPermissionType, ACLResourcePatternType,
                         ResourcePattern, ResourcePatternFilter, ResourceType)
from kafka.errors import GroupAuthorizationFailedError, KafkaError, TopicAuthorizationFailedError

address, ca, command = sys.argv[1:4]
def security(user):
    return dict(bootstrap_servers=address, security_protocol="SASL_SSL", ssl_cafile=ca, sasl_mechanism="SCRAM-SHA-512",
                sasl_plain_username=user, sasl_plain_password=user + "-pw",
                api_version_auto_timeout_ms=30000)  # the version probe, 2 s by default, is too short on a busy CI machine
def acl(operation, resource_type, name):
    return ACL("User:alice", "*", operation, ACLPermissionType.ALLOW, ResourcePattern(resource_type, name))
GRANTS = [acl(ACLOperation.READ, ResourceType.TOPIC, "acl-kcat"), acl(ACLOperation.WRITE, ResourceType.TOPIC, "acl-kcat"),
          acl(ACLOperation.READ, ResourceType.GROUP, "kcat-group"), acl(ACLOperation.READ, ResourceType.TOPIC, "acl-python"),
          acl(ACLOperation.WRITE, ResourceType.TOPIC, "acl-python"), acl(ACLOperation.READ, ResourceType.GROUP, "python-group")]
ALICE = ACLFilter(principal="User:alice", host="*", operation=ACLOperation.ANY, permission_type=ACLPermissionType.ANY,
                  resource_pattern=ResourcePatternFilter(ResourceType.ANY, None, ACLResourcePatternType.ANY))

def expect(error_type, what, action):
    try:
        action()
        print(what, "was allowed"); return False
    except error_type as e:
        print(what, "refused:", type(e).__name__); return True
    except KafkaError as e:
        print(what, "failed with", repr(e)); return False

def consume(group=None):
    consumer = KafkaConsumer(group_id=group, auto_offset_reset="earliest", consumer_timeout_ms=10000, **security("alice"))
    try:
        if group: consumer.subscribe(["acl-python"])
        else: consumer.assign([TopicPartition("acl-python", 0)])
        got = []
        for _ in range(20):
            for records in consumer.poll(timeout_ms=1000).values():
                got += [r.value.decode() for r in records]
            if len(got) >= 3: break
        if group: consumer.commit()
        return got
    finally:
        consumer.close()

def produce():
    producer = KafkaProducer(max_block_ms=10000, request_timeout_ms=10000, **security("alice"))
    try: return producer.send("acl-python", b"alice-python").get(timeout=30)
    finally: producer.close()

ok = True
if command == "describe-only":
    # DESCRIBE on acl-python, nothing more: metadata and offsets pass, Fetch and Produce are refused; the group too.
    admin = KafkaAdminClient(**security("admin"))
    result = admin.create_acls([acl(ACLOperation.DESCRIBE, ResourceType.TOPIC, "acl-python")])
    admin.close()
    ok = not result["failed"]
    ok &= expect(TopicAuthorizationFailedError, "kafka-python consumer without READ on the topic", consume)
    ok &= expect(TopicAuthorizationFailedError, "kafka-python producer without WRITE on the topic", produce)
elif command == "no-group":
    # READ on the topic, none on this group: FindCoordinator is refused.
    ok &= expect(GroupAuthorizationFailedError, "kafka-python group consumer without READ on the group", lambda: consume("python-closed-group"))
elif command == "grant":
    admin = KafkaAdminClient(**security("admin"))
    result = admin.create_acls(GRANTS)
    admin.close()
    print("CreateAcls:", len(result["succeeded"]), "created,", len(result["failed"]), "failed")
    ok = len(result["succeeded"]) == len(GRANTS) and not result["failed"]
elif command == "allowed":
    got = consume()
    print("kafka-python consumer read", got)
    ok &= got[:3] == ["admin-1", "admin-2", "admin-3"]
    print("kafka-python producer wrote at offset", produce().offset)
    got = consume("python-group")
    print("kafka-python group consumer read", len(got), "and committed")
    ok &= len(got) >= 3
elif command == "describe":
    admin = KafkaAdminClient(**security("admin"))
    bindings, error = admin.describe_acls(ALICE)
    admin.close()
    found = {(b.operation, b.resource_pattern.resource_type, b.resource_pattern.resource_name) for b in bindings}
    wanted = {(g.operation, g.resource_pattern.resource_type, g.resource_pattern.resource_name) for g in GRANTS}
    print("DescribeAcls:", len(bindings), "bindings of alice,", error.__name__)
    ok = wanted <= found
elif command == "revoke":
    admin = KafkaAdminClient(**security("admin"))
    deleted = admin.delete_acls([ACLFilter(principal="User:alice", host="*", operation=ACLOperation.READ, permission_type=ACLPermissionType.ALLOW,
                                           resource_pattern=ResourcePatternFilter(ResourceType.TOPIC, "acl-python", ACLResourcePatternType.LITERAL))])
    admin.close()
    matched = [b for _, matches, _ in deleted for b, _ in matches]
    print("DeleteAcls:", len(matched), "deleted")
    ok = len(matched) == 1
    ok &= expect(TopicAuthorizationFailedError, "kafka-python consumer after its READ was deleted", consume)
sys.exit(0 if ok else 1)
PYEOF
acl_py() { timeout 180 "$PY" "$tmp/acl.py" "$(address SASL_SSL)" "$tmp/ca.pem" "$@"; }

# Refused: no ACL at all on acl-kcat.
expect_refused "kcat consume without READ on the topic" "Topic authorization failed" "${KCAT_ALICE[@]}" -C -t acl-kcat -o beginning -e
expect_refused "kcat produce without WRITE on the topic" "Topic authorization failed" "${KCAT_ALICE[@]}" -P -t acl-kcat -X message.timeout.ms=10000 -l "$tmp/acl-alice.txt"
if acl_py describe-only; then pass "kafka-python consumer and producer refused TOPIC_AUTHORIZATION_FAILED"; else fail "kafka-python refusals on the topic"; fi

# CreateAcls through kafka-python's admin client, then the same calls succeed, but a group needs its own READ.
if acl_py grant; then pass "kafka-python CreateAcls"; else fail "kafka-python CreateAcls"; fi
if timeout 60 "${KCAT_ALICE[@]}" -C -t acl-kcat -o beginning -e -q >"$tmp/acl-out.txt" && diff -u "$tmp/acl-expected.txt" "$tmp/acl-out.txt"; then
  pass "kcat consume with READ on the topic"
else
  fail "kcat consume with READ on the topic"
fi
if timeout 60 "${KCAT_ALICE[@]}" -P -t acl-kcat -X message.timeout.ms=10000 -l "$tmp/acl-alice.txt"; then pass "kcat produce with WRITE on the topic"; else fail "kcat produce with WRITE on the topic"; fi
expect_refused "kcat group consumer without READ on the group" "Group authorization failed" "${KCAT_ALICE[@]}" -G kcat-closed-group acl-kcat -e
if timeout 60 "${KCAT_ALICE[@]}" -G kcat-group acl-kcat -X auto.offset.reset=earliest -e -q >"$tmp/acl-group.txt" && [[ $(wc -l <"$tmp/acl-group.txt") -eq 5 ]]; then
  pass "kcat group consumer with READ on the group"
else
  fail "kcat group consumer with READ on the group: $(wc -l <"$tmp/acl-group.txt") records"
fi
if acl_py allowed; then pass "kafka-python consumer, producer and group consumer with the ACLs"; else fail "kafka-python with the ACLs"; fi

# The ACLs survive a restart (acls.json in the data directory); DeleteAcls takes one away.
stop_server
start_server "$tmp/acl-broker-2.log" --data-dir "$tmp/acl-data" \
  --listeners "SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0" --ssl-cert "$tmp/server.pem" --ssl-key "$tmp/server.key" \
  --sasl-users-file "$tmp/users.txt" --super-users User:admin
kcat_users
if acl_py describe; then pass "kafka-python DescribeAcls after a restart lists every ACL"; else fail "ACLs after a restart"; fi
if timeout 60 "${KCAT_ALICE[@]}" -C -t acl-kcat -o beginning -e -q >"$tmp/acl-out.txt" && diff -u "$tmp/acl-expected.txt" <(head -n 3 "$tmp/acl-out.txt"); then
  pass "kcat consume after a restart"
else
  fail "kcat consume after a restart"
fi
if acl_py no-group; then pass "kafka-python group consumer refused GROUP_AUTHORIZATION_FAILED"; else fail "kafka-python group refusal"; fi
if acl_py revoke; then pass "kafka-python DeleteAcls, then the consumer is refused again"; else fail "kafka-python DeleteAcls"; fi

if ((failures)); then
  echo "secured-clients: $failures check(s) FAILED"
  [[ "${KEEP_LOG:-0}" == 1 ]] || { echo "----- broker log (tail) -----"; tail -50 "$log"; }
  exit 1
fi
echo "secured-clients: all checks PASSED"
