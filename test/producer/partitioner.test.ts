import assert from 'node:assert/strict';
import { test } from 'node:test';
import { murmur2, partitionForKey, StickyPartitions, toPositive } from '../../src/producer/partitioner.js';
import { runJava } from '../kafka/index.js';

const COUNTS = [1, 2, 3, 7, 12, 100, 1000];

test('murmur2 matches the vectors of Kafka’s UtilsTest.testMurmur2', () => {
  const vectors: Record<string, number> = {
    '21': -973932308,
    foobar: -790332482,
    'a-little-bit-long-string': -985981536,
    'a-little-bit-longer-string': -1486304829,
    lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8: -58897971,
    abc: 479470107,
  };
  for (const [key, hash] of Object.entries(vectors)) assert.equal(murmur2(Buffer.from(key)), hash, key);
  assert.equal(toPositive(-1), 0x7fffffff);
  assert.equal(toPositive(-2147483648), 0);
});

test('partitionForKey agrees with Java’s BuiltInPartitioner for 1000 random keys × 7 partition counts', async () => {
  const { stdout } = await runJava({
    source: 'test/producer/java/PartitionVectors.java',
    args: ['random', '20260101', '1000', ...COUNTS.map(String)],
  });
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 1000);
  let checked = 0;
  for (const line of lines) {
    const [hex, hash, ...partitions] = line.split('\t');
    const key = hex === '-' ? Buffer.alloc(0) : Buffer.from(hex!, 'hex');
    assert.equal(murmur2(key), Number(hash), `murmur2 of ${hex}`);
    COUNTS.forEach((n, i) => {
      assert.equal(partitionForKey(key, n), Number(partitions[i]), `key ${hex}, ${n} partitions`);
      checked++;
    });
  }
  assert.equal(checked, 7000);
});

test('sticky partitions: the same partition until its batch closes, then a different one', () => {
  const sticky = new StickyPartitions();
  const available = [0, 1, 2, 3];
  const first = sticky.get('t', 4, available);
  for (let i = 0; i < 10; i++) assert.equal(sticky.get('t', 4, available), first);
  sticky.batchClosed('t', (first + 1) % 4); // another partition's batch: no change
  assert.equal(sticky.get('t', 4, available), first);
  const seen = new Set<number>();
  let current = first;
  for (let i = 0; i < 50; i++) {
    sticky.batchClosed('t', current);
    const next = sticky.get('t', 4, available);
    assert.notEqual(next, current);
    seen.add(next);
    current = next;
  }
  assert.ok(seen.size >= 3, 'moves around the partitions');
  // Only unavailable partitions known: still picks one in range.
  const p = new StickyPartitions().get('u', 3, []);
  assert.ok(p >= 0 && p < 3);
});
