// Must-show (issue 16): 4 share consumers on a 1-partition topic of 20k records all receive records
// concurrently, and every record is accepted exactly once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testEnv } from '../helpers/env.js';
import { uniqueName, waitFor } from '../kafka/index.js';
import { shareGroupConfig, shareMember, text } from './helpers.js';

const env = testEnv();
const TOTAL = 20000;

test('4 share consumers on one partition split 20k records concurrently; each record accepted exactly once', {
  timeout: 180000,
}, async () => {
  const topic = uniqueName('share4');
  const groupId = uniqueName('sg4');
  await env.producer.createTopic(topic, 1);
  await shareGroupConfig(env.kafka.bootstrap, groupId);
  // Small fetches and a little work per record, so the members really take turns on the partition.
  const members = Array.from({ length: 4 }, () =>
    shareMember(
      env.kafka.bootstrap,
      groupId,
      topic,
      (r) => (r.offset % 50 === 0 ? new Promise((res) => setTimeout(res, 1)) : undefined),
      { maxPollRecords: 100 },
    ),
  );
  try {
    await waitFor(() => members.every((m) => m.consumer.assignment().length === 1) || undefined, {
      timeoutMs: 60000,
      what: 'every member assigned the partition',
    });
    await env.producer.fill(topic, 1, TOTAL, 'v', 250);
    const delivered = () => members.reduce((n, m) => n + m.seen.length, 0);
    await waitFor(() => delivered() >= TOTAL || undefined, { timeoutMs: 120000, what: `${TOTAL} deliveries` });
    // The last acknowledgements ride on the next ShareFetch; close sends whatever is still pending.
    await Promise.all(members.map((m) => m.consumer.close()));
    await Promise.all(members.map((m) => m.running));

    const counts = members.map((m) => m.seen.length);
    console.log(`deliveries per member: ${counts.join(', ')}`);
    assert.ok(
      counts.every((c) => c > 0),
      `every member received records: ${counts}`,
    );
    // Concurrently: every member's deliveries interleave with another member's in time.
    const spans = members.map((m) => [m.firstAt, m.lastAt] as const);
    for (const [i, [first, last]] of spans.entries()) {
      const overlaps = spans.some(([f, l], j) => j !== i && f <= last && first <= l);
      assert.ok(overlaps, `member ${i} received records while another member did too`);
    }
    const values = members.flatMap((m) => m.seen.map(text));
    assert.equal(values.length, TOTAL, 'no record delivered twice (no lock expired, nothing released)');
    assert.equal(new Set(values).size, TOTAL, 'every record delivered');
    const accepted = new Map<number, number>();
    for (const m of members)
      for (const r of m.acks) {
        assert.equal(r.error, null, `acknowledgements applied: ${r.error?.message}`);
        for (const o of r.offsets) accepted.set(o, (accepted.get(o) ?? 0) + 1);
      }
    assert.equal(accepted.size, TOTAL, 'every offset acknowledged');
    assert.ok(
      [...accepted.values()].every((n) => n === 1),
      'no offset acknowledged twice',
    );
  } finally {
    await Promise.all(members.map((m) => m.consumer.close().catch(() => {})));
  }
});
