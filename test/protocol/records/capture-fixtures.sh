#!/usr/bin/env bash
# Re-creates test/protocol/fixtures/records/*.{segment,json}: batches written by the real Java producer
# (kafka-clients, one topic per codec + a transactional topic), copied byte for byte from the broker's
# segment files. Segments hold batches exactly as the producer wrote them (compression.type=producer).
#
#   KAFKA_LIBS=/path/to/kafka/jars bash test/protocol/records/capture-fixtures.sh
#
# KAFKA_LIBS must hold the Kafka server + clients jars and their dependencies (snappy-java, lz4-java,
# zstd-jni). Needs Java 17+. Uses a fresh temp dir and free loopback ports; leaves nothing running.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
fixtures="$here/../fixtures/records"
libs="${KAFKA_LIBS:-/tmp/mvntest/libs}"
cp_arg="$libs/*"
work="$(mktemp -d)"
broker_pid=""
cleanup() {
  if [[ -n "$broker_pid" ]]; then kill "$broker_pid" 2>/dev/null || true; wait "$broker_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

read -r port cport < <(node -e '
  const net = require("node:net");
  const get = () => new Promise((r) => { const s = net.createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => r(p)); }); });
  Promise.all([get(), get()]).then((p) => console.log(p.join(" ")));')

cat > "$work/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$work/data
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
message.max.bytes=4000000
PROPS
cat > "$work/log4j2.properties" <<PROPS
status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.out.ref = OUT
PROPS

cluster_id="$(node -e 'console.log(require("node:crypto").randomBytes(16).toString("base64url"))')"
java -cp "$cp_arg" kafka.tools.StorageTool format -t "$cluster_id" -c "$work/server.properties" >/dev/null
java -Xmx1g -Dlog4j2.configurationFile="$work/log4j2.properties" -cp "$cp_arg" kafka.Kafka "$work/server.properties" \
  >"$work/broker.log" 2>&1 &
broker_pid=$!
for _ in $(seq 1 120); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  sleep 0.5
done

mkdir -p "$work/out"
java -cp "$cp_arg" "$here/java/Produce.java" "127.0.0.1:$port" "$work/out"

# A clean shutdown flushes the segments; then copy them.
kill "$broker_pid"
wait "$broker_pid" || true
broker_pid=""
for name in none gzip snappy lz4 zstd txn; do
  # The broker may roll segments (it did at the first transaction marker): segments are plain
  # concatenations of batches, so the partition's log is their concatenation in offset order.
  # (.segment, not .log: *.log is git-ignored.)
  cat "$work/data/fx-$name-0/"*.log >"$fixtures/$name.segment"
  cp "$work/out/$name.json" "$fixtures/$name.json"
done
# Keep the JSON as the repository's formatter wants it, so `npm run lint` stays clean.
(cd "$here/../../.." && npx biome format --write "$fixtures"/*.json >/dev/null)
ls -l "$fixtures"
