// sluice-test-needs: kafka-tools node24 bench-peers bench-build
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ensurePeers } from '../../bench/lib/peers.js';
import { runSmoke } from '../../bench/lib/smoke.js';
import { sharedKafka } from '../kafka/index.js';

// The benchmark in miniature (bench/lib/smoke.ts) against the suite's broker: Sluice's three modes,
// KafkaJS, @platformatic/kafka 1.x, Node 24 runs with platformatic 2.x, Kafka's Java perf tools. It
// asserts that each client handled every record — never a speed. Everything it runs was installed by
// the set-up of `npm test` (the line above declares it); while tests run nothing is installed, so
// confluent-kafka-javascript, a from-source build, is left to `npm run bench -- --smoke`.
test('bench smoke: every consumer reads every record and every producer writes every record', {
  timeout: 600_000,
}, async (t) => {
  const kafka = await sharedKafka();
  const peers = ensurePeers({ node24: true, confluent: false });
  for (const n of peers.notes) t.diagnostic(n);
  if (!peers.node24 || !peers.platformatic2) {
    // In CI a missing peer is a broken set-up, not a reason to measure less.
    assert.ok(process.env.CI !== 'true', `Node 24 / platformatic 2.x missing in CI: ${peers.notes.join('; ')}`);
    t.diagnostic('running without Node 24 / platformatic 2.x (not installed; CI=true makes this a failure)');
  }
  const { problems } = await runSmoke({
    peers,
    bootstrap: kafka.bootstrap,
    kafkaVersion: kafka.version,
    log: (line) => t.diagnostic(line.trim()),
  });
  assert.deepEqual(problems, []);
});
