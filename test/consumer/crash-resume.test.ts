// kill -9 of a consuming process, then a restart, against the real broker. The group's committed
// offsets after the kill never pass a record the dead process did not finish (DESIGN invariant 1), the
// restarted consumer starts each partition exactly at the committed offset, and no record is missed.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { Consumer } from '../../src/consumer/consumer.js';
import { testEnv } from '../helpers/env.js';
import { uniqueName } from '../kafka/index.js';
import { GroupProbe, Member, readLog, sleep } from './fixtures/children.js';

const PARTITIONS = 4;
const PER_PARTITION = 5000;

const env = testEnv('sluice-crash-');

test('kill -9 mid-stream: commits never pass unprocessed records; a restart resumes exactly at them', {
  timeout: 90000,
}, async () => {
  const topic = uniqueName('crash');
  const groupId = uniqueName('g');
  await env.producer.createTopic(topic, PARTITIONS);
  await env.producer.fillGenerated(topic, PARTITIONS, PER_PARTITION, (p, i) => ({ value: `${p}-${i}` }), {
    batch: 1000,
  });
  const probe = new GroupProbe(env.kafka.bootstrap, groupId);
  const child = new Member('victim', {
    bootstrap: env.kafka.bootstrap,
    groupId,
    topic,
    log: path.join(env.dir, `${groupId}.jsonl`),
    options: { autoCommitIntervalMs: 100 },
    concurrency: PARTITIONS,
    // ~2000 records/s per partition: it is mid-stream on every partition when it dies.
    pauseEvery: 10,
    pauseMs: 5,
  });
  const restarted = new Consumer({
    brokers: env.kafka.bootstrap,
    groupId,
    autoOffsetReset: 'earliest',
    sessionTimeoutMs: 6000,
    heartbeatIntervalMs: 500,
  });
  try {
    await child.until('the victim to be mid-stream', () => child.processed >= (PARTITIONS * PER_PARTITION) / 4, 60000);
    await child.kill9();
    // A commit the victim wrote just before dying may still be on its way through the broker.
    await sleep(2000);
    const committed = await probe.committed(topic, PARTITIONS);

    const victim = readLog(child.cfg.log).filter((e) => e.ev === 'r');
    const done = Array.from({ length: PARTITIONS }, () => new Set<number>());
    for (const r of victim) done[r.p as number]!.add(r.o as number);
    for (let p = 0; p < PARTITIONS; p++) {
      const c = committed.get(p) ?? 0;
      assert.ok(c > 0 && c < PER_PARTITION, `partition ${p}: the victim died mid-stream (committed ${c})`);
      for (let o = 0; o < c; o++) assert.ok(done[p]!.has(o), `partition ${p}: committed ${c} passes unprocessed ${o}`);
    }

    const first = new Map<number, number>();
    const seen = Array.from({ length: PARTITIONS }, () => new Set<number>());
    restarted.subscribe(topic);
    await restarted.run({
      eachMessage: (r) => {
        if (!first.has(r.partition)) first.set(r.partition, r.offset);
        seen[r.partition]!.add(r.offset);
        if (seen.every((s, p) => s.size >= PER_PARTITION - (committed.get(p) ?? 0)))
          setImmediate(() => restarted.close());
      },
      signal: AbortSignal.timeout(60000),
    });

    for (let p = 0; p < PARTITIONS; p++) {
      assert.equal(first.get(p), committed.get(p) ?? 0, `partition ${p}: the restart starts at the committed offset`);
      for (let o = 0; o < PER_PARTITION; o++) {
        assert.ok(done[p]!.has(o) || seen[p]!.has(o), `partition ${p}: offset ${o} never processed`);
      }
    }
    const uncommittedWindow = [...committed].map(([p, c]) => `${p}:${Math.max(c, ...done[p]!) + 1 - c}`);
    console.log(
      `# committed after kill ${JSON.stringify([...committed])}; processed-but-uncommitted ${uncommittedWindow}`,
    );
  } finally {
    await child.destroy();
    await restarted.close().catch(() => {});
    probe.close();
  }
});
