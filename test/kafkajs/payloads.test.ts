// KafkaJS's message and batch shapes built from Sluice's records, and the fast integer printing they use.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConsumerRecord } from '../../src/consumer/record.js';
import { decimal, toBatch, toKafkaMessage } from '../../src/kafkajs/consumer-payloads.js';

test('decimal(n) prints exactly what String(n) prints', () => {
  const edges = [0, 1, 9, 10, 999_999, 1_000_000, 1_000_001, 2 ** 30 - 1, 2 ** 30, 2 ** 31, 2 ** 32 + 5];
  edges.push(1_764_300_000_000, 1_764_300_000_001, 1_764_300_999_999, 1_000_000_000_005, Number.MAX_SAFE_INTEGER);
  edges.push(-1, -2, 1.5, 2 ** 60, Number.NaN);
  for (let i = 0; i < 20_000; i++) edges.push(Math.floor(Math.random() * Number.MAX_SAFE_INTEGER));
  for (let i = 0; i < 20_000; i++) edges.push(1_700_000_000_000 + Math.floor(Math.random() * 1e11));
  for (const n of edges) assert.equal(decimal(n), String(n), `for ${n}`);
});

const record = (offset: number, headers: ConsumerRecord['headers'] = []): ConsumerRecord => ({
  topic: 't',
  partition: 3,
  offset,
  timestamp: 1_764_300_000_123,
  key: Buffer.from('k'),
  value: null,
  headers,
  leaderEpoch: 0,
});

test('messages: string offsets and timestamps, headers by key (repeats as arrays, null kept)', () => {
  const m = toKafkaMessage(
    record(2 ** 33, [
      { key: 'a', value: Buffer.from('1') },
      { key: 'b', value: null },
      { key: 'a', value: Buffer.from('2') },
      { key: 'a', value: Buffer.from('3') },
    ]),
  );
  assert.equal(m.offset, '8589934592');
  assert.equal(m.timestamp, '1764300000123');
  assert.equal(m.attributes, 0);
  assert.equal(m.value, null);
  assert.deepEqual(
    (m.headers.a as Buffer[]).map((b) => b.toString()),
    ['1', '2', '3'],
  );
  assert.equal(m.headers.b, null);
  assert.deepEqual(toKafkaMessage(record(0)).headers, {});
});

test('batches: offsets, lag and the empty batch as KafkaJS computes them', () => {
  const b = toBatch('t', 3, 10, [record(4), record(5), record(6)]);
  assert.equal(b.highWatermark, '10');
  assert.equal(b.firstOffset(), '4');
  assert.equal(b.lastOffset(), '6');
  assert.equal(b.offsetLag(), '3');
  assert.equal(b.offsetLagLow(), '5');
  assert.equal(b.isEmpty(), false);
  const empty = toBatch('t', 3, 10, []);
  assert.equal(empty.isEmpty(), true);
  assert.equal(empty.firstOffset(), null);
  assert.equal(empty.lastOffset(), '9');
});
