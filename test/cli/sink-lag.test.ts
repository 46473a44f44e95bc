// LagTracker: lag and --until-end from stored positions, and past trailing transaction markers via
// the committed offset once the stored position has stopped moving.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LagTracker } from '../../src/cli/sink-run.js';
import { tpKey } from '../../src/consumer/topic-partition.js';

const key = tpKey('t', 0);

test('lag is end minus stored position; unknown until every partition has both', () => {
  const t = new LagTracker([{ topic: 't', partition: 0 }], 4000);
  assert.equal(t.lag(0), undefined);
  t.ends.set(key, 100);
  assert.equal(t.lag(0), undefined);
  t.positions.set(key, 40);
  assert.equal(t.lag(0), 60);
  assert.equal(t.reached(new Map([[key, 100]]), 0), false);
  t.positions.set(key, 100);
  assert.equal(t.reached(new Map([[key, 100]]), 0), true);
});

test('a commit marker at the end: the committed offset counts once the stored position stays put', () => {
  const t = new LagTracker([{ topic: 't', partition: 0 }], 4000);
  t.ends.set(key, 11);
  t.positions.set(key, 10); // 10 records stored; offset 10 is the transaction's commit marker
  t.committed.set(key, 11);
  t.observe(0);
  const target = new Map([[key, 11]]);
  assert.equal(t.reached(target, 3999), false, 'not before the position has been still a while');
  assert.equal(t.lag(3999), 1);
  t.observe(2000);
  assert.equal(t.reached(target, 4000), true);
  assert.equal(t.lag(4000), 0);
  // A position that moves (a store catching up from behind Kafka's commit) restarts the wait.
  t.positions.set(key, 10.5);
  t.observe(4000);
  assert.equal(t.reached(target, 7000), false);
});
