// The idempotence rules in isolation (no broker): which batch may go when, and what each sequence error means.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProducerBatch, SendHandle } from '../../src/producer/batch.js';
import { PartitionQueue } from '../../src/producer/partition-queue.js';
import {
  batchAcked,
  batchFailed,
  MAX_INFLIGHT_BATCHES_PER_PARTITION,
  ProducerIdentity,
  prepareBatch,
  sequenceVerdict,
} from '../../src/producer/sequences.js';

function setup() {
  const q = new PartitionQueue('t', 0);
  const id = new ProducerIdentity();
  id.set(1000, 0);
  const open = new Set<SendHandle>();
  /** A new batch of `n` records at the end of the queue. */
  const batch = (n: number) => {
    const b = new ProducerBatch(q, Date.now());
    const h = new SendHandle('t', n, open);
    h.promise.catch(() => {});
    for (let i = 0; i < n; i++) {
      const r = {
        key: null,
        value: Buffer.from('x'),
        headers: undefined,
        timestamp: Date.now(),
        bodySize: 4,
        partition: 0,
      };
      b.append(r, b.sizeOf(r), h, i);
    }
    b.closed = true;
    q.batches.push(b);
    return b;
  };
  /** What the sender does: take the head if allowed, "send" it. */
  const drain = () => {
    const b = q.head;
    if (!b || !prepareBatch(q, b, id)) return undefined;
    q.batches.shift();
    b.attempts++;
    b.onWire = true;
    q.onWire++;
    return b;
  };
  const answered = (b: ProducerBatch) => {
    b.onWire = false;
    q.onWire--;
  };
  return { q, id, batch, drain, answered };
}

test('sequence numbers are assigned when a batch is first drained and kept across retries', () => {
  const { q, batch, drain, answered } = setup();
  const a = batch(10);
  const b = batch(5);
  assert.equal(a.seq, -1, 'none before draining');
  assert.equal(drain(), a);
  assert.equal(drain(), b);
  assert.deepEqual([a.seq, b.seq, q.nextSeq], [0, 10, 15]);
  assert.deepEqual([a.producerId, a.producerEpoch], [1000, 0]);
  // A fails (NOT_LEADER_OR_FOLLOWER), B gets OUT_OF_ORDER_SEQUENCE_NUMBER: both go back, in order.
  answered(a);
  q.requeue(a);
  assert.equal(
    sequenceVerdict(q, b, 45, -1, false),
    'retry',
    'B is not the next expected batch: an earlier one failed',
  );
  answered(b);
  q.requeue(b);
  assert.deepEqual(q.batches, [a, b]);
  // Only A may go; B waits until A is acknowledged (one at a time, in order).
  assert.equal(drain(), a);
  assert.equal(a.seq, 0, 'same sequence on retry');
  assert.equal(drain(), undefined, 'B waits for A');
  answered(a);
  assert.equal(batchAcked(q, a, 100), false);
  assert.equal(q.lastAckedSeq, 9);
  assert.equal(drain(), b);
  assert.equal(b.seq, 10);
});

test('new batches wait behind retries, and at most 5 batches per partition are unacknowledged', () => {
  const { q, batch, drain, answered } = setup();
  const sent = [];
  for (let i = 0; i < MAX_INFLIGHT_BATCHES_PER_PARTITION + 2; i++) batch(1);
  for (let i = 0; i < MAX_INFLIGHT_BATCHES_PER_PARTITION; i++) sent.push(drain());
  assert.ok(sent.every((b) => b !== undefined));
  assert.equal(drain(), undefined, 'the sixth waits: the broker deduplicates the last 5 only');
  answered(sent[0]!);
  batchAcked(q, sent[0]!, 0);
  const sixth = drain();
  assert.ok(sixth);
  // The second fails and goes back: the seventh (new) must not overtake it.
  answered(sent[1]!);
  q.requeue(sent[1]!);
  assert.equal(q.head, sent[1]);
  assert.equal(drain(), sent[1]);
  assert.equal(drain(), undefined);
});

test('a gap after a failed batch: an idempotent producer moves to a new epoch and renumbers from 0', () => {
  const { q, id, batch, drain, answered } = setup();
  const a = batch(3);
  const b = batch(4);
  const c = batch(2);
  drain();
  drain();
  drain();
  // A is acknowledged, B fails for good (e.g. MESSAGE_TOO_LARGE), C is rejected: the broker waits for seq 3.
  answered(a);
  batchAcked(q, a, 0);
  answered(b);
  assert.equal(batchFailed(q, b), false, 'unresolved while C is out');
  assert.equal(q.unresolved, 6);
  answered(c);
  assert.equal(sequenceVerdict(q, c, 45, -1, false), 'retry-new-epoch');
  assert.equal(sequenceVerdict(q, c, 45, -1, true), 'retry', 'transactions do not bump here');
  // The sender bumps the epoch and marks the partition; C is renumbered from 0 under the new epoch.
  id.bumpEpoch();
  q.needsRewrite = true;
  q.requeue(c);
  assert.equal(drain(), c);
  assert.deepEqual([c.seq, c.producerEpoch, q.unresolved, q.lastAckedSeq], [0, 1, -1, -1]);
  const d = batch(1);
  answered(c);
  batchAcked(q, c, 10);
  assert.equal(drain(), d);
  assert.deepEqual([d.seq, d.producerEpoch], [2, 1]);
});

test('a failure resolved by a later acknowledgement needs no new epoch; otherwise it does', () => {
  const { q, batch, drain, answered } = setup();
  const a = batch(1);
  const b = batch(1);
  drain();
  drain();
  // A expired in flight (unknown outcome), B was acknowledged: the broker wrote A (it writes in order).
  answered(a);
  batchFailed(q, a);
  answered(b);
  assert.equal(batchAcked(q, b, 5), false);
  assert.equal(q.unresolved, -1);
  // Now a failure with nothing after it: only a new epoch resolves it.
  const c = batch(1);
  drain();
  answered(c);
  assert.equal(batchFailed(q, c), true);
});

test('after an epoch bump, other partitions keep their old-epoch batches until they are done', () => {
  const { q, id, batch, drain, answered } = setup();
  const a = batch(1);
  drain();
  id.bumpEpoch(); // another partition asked for it
  const b = batch(1);
  assert.equal(drain(), undefined, 'new batch waits: A (old epoch) is unacknowledged');
  answered(a);
  batchAcked(q, a, 0);
  assert.equal(drain(), b);
  assert.deepEqual([b.seq, b.producerEpoch], [0, 1]);
});

test('UNKNOWN_PRODUCER_ID and epoch errors', () => {
  const { q, batch, drain, answered } = setup();
  const a = batch(1);
  drain();
  answered(a);
  assert.equal(sequenceVerdict(q, a, 59, -1, false), 'retry', 'no log start offset yet: retry');
  assert.equal(sequenceVerdict(q, a, 59, 10, false), 'retry-new-epoch', 'state lost to retention: new epoch');
  assert.equal(sequenceVerdict(q, a, 59, 10, true), 'retry-renumber', 'transaction: renumber, same epoch');
  q.lastAckedOffset = 20;
  assert.equal(sequenceVerdict(q, a, 59, 10, true), 'abortable');
  assert.equal(sequenceVerdict(q, a, 47, -1, true), 'fenced');
  assert.equal(sequenceVerdict(q, a, 90, -1, true), 'fenced');
  assert.equal(sequenceVerdict(q, a, 47, -1, false), 'retry-new-epoch');
});

test('restamp rewrites producer id, epoch, sequence and the CRC of an encoded batch', async () => {
  const { decodeRecordBatches } = await import('../../src/protocol/records/decode.js');
  const { batch, drain } = setup();
  const a = batch(3);
  drain();
  const bytes = a.encode(0, false);
  a.restamp(123456789012, 7, 2147483647 + 5); // sequence wraps at 2^31 as Java's does
  const [decoded] = decodeRecordBatches(bytes, { topic: 't', partition: 0 }).batches;
  assert.equal(decoded!.producerId, 123456789012);
  assert.equal(decoded!.producerEpoch, 7);
  assert.equal(decoded!.baseSequence, 4);
  assert.equal(decoded!.records.length, 3);
});
