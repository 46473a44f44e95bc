import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FetchSession, type SessionPartition } from '../../src/consumer/fetch-session.js';

const part = (partition: number, fetchOffset: number, extra: Partial<SessionPartition> = {}): SessionPartition => ({
  topic: 't',
  topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
  partition,
  fetchOffset,
  maxBytes: 1024,
  currentLeaderEpoch: 0,
  lastFetchedEpoch: -1,
  version: 0,
  ...extra,
});

test('KIP-227: a full request first, then only new or changed partitions, and forgotten ones', () => {
  const s = new FetchSession();
  const full = s.build([part(0, 0), part(1, 0), part(2, 0)]);
  assert.deepEqual([full.sessionId, full.sessionEpoch], [0, 0]);
  assert.equal(full.partitions.length, 3);
  s.onResponse(777);

  // Partition 1 got data (its offset moved); 0 and 2 are idle and not re-sent.
  const inc = s.build([part(0, 0), part(1, 50), part(2, 0)]);
  assert.deepEqual([inc.sessionId, inc.sessionEpoch], [777, 1]);
  assert.deepEqual(
    inc.partitions.map((p) => p.partition),
    [1],
  );
  assert.equal(inc.forgotten.length, 0);
  s.onResponse(777);

  // Partition 2 paused (not wanted): forgotten. A new partition 3 is added. A leader epoch change is sent.
  const next = s.build([part(0, 0, { currentLeaderEpoch: 1 }), part(1, 50), part(3, 0)]);
  assert.equal(next.sessionEpoch, 2);
  assert.deepEqual(
    next.partitions.map((p) => p.partition),
    [0, 3],
  );
  assert.deepEqual(
    next.forgotten.map((p) => p.partition),
    [2],
  );
  assert.equal(s.lookup('AAAAAAAAAAAAAAAAAAAAAQ', 3)?.fetchOffset, 0);
  assert.equal(s.lookup('AAAAAAAAAAAAAAAAAAAAAQ', 2), undefined);
});

test('an error resets to a full request; a broker that creates no session keeps getting full requests', () => {
  const s = new FetchSession();
  s.build([part(0, 0)]);
  s.onResponse(5);
  s.reset();
  const again = s.build([part(0, 10)]);
  assert.deepEqual([again.sessionId, again.sessionEpoch, again.partitions.length], [0, 0, 1]);
  s.onResponse(0); // no session created
  const still = s.build([part(0, 20)]);
  assert.deepEqual([still.sessionId, still.sessionEpoch, still.partitions.length], [0, 0, 1]);
});
