// The consumer against a broker that misbehaves on purpose (the in-process fake broker): data that would
// never advance the position, partition errors Java's fetcher rides out, a partition without a leader,
// a commit that says the generation is over, a fetch parked on one broker while another has data, and
// position lookups that fail while a new topic's metadata spreads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Consumer } from '../../src/consumer/consumer.js';
import type { ConsumerOptions } from '../../src/consumer/options.js';
import type { TopicPartition } from '../../src/consumer/topic-partition.js';
import { crc32c } from '../../src/protocol/records/crc32c.js';
import { encodeRecordBatch } from '../../src/protocol/records/encode.js';
import { Writer } from '../../src/protocol/writer.js';
import { FakeCluster } from '../helpers/fake-broker.js';
import { waitFor } from '../kafka/index.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function consumer(c: FakeCluster, extra: Partial<ConsumerOptions> = {}) {
  return new Consumer({
    brokers: c.bootstrap,
    autoOffsetReset: 'earliest',
    logger: quiet,
    ...extra,
  } as ConsumerOptions);
}

test('a batch whose last offset does not advance the position is a typed error, delivered at most once', async () => {
  const c = await FakeCluster.start({ topics: [{ name: 't', partitions: 1 }] });
  try {
    const w = new Writer(256);
    encodeRecordBatch(w, { baseOffset: 0, records: [{ value: Buffer.from('again') }] });
    const b = Buffer.from(w.view());
    b.writeInt32BE(-1, 23); // lastOffsetDelta = -1: the batch "ends" before it starts
    b.writeUInt32BE(crc32c(b, 21, b.length), 17); // with a valid CRC: the broker sent it so
    c.appendRaw('t', 0, b, 1);
    const cons = consumer(c);
    cons.assign([{ topic: 't', partition: 0 }]);
    let delivered = 0;
    await assert.rejects(
      cons.run({ eachMessage: () => void delivered++, signal: AbortSignal.timeout(10000) }),
      (err: unknown) => (err as { code?: string }).code === 'CORRUPT_RECORD',
    );
    // Before: the same record 48k times in 6 s.
    assert.ok(delivered <= 1, `delivered ${delivered} times`);
  } finally {
    await c.close();
  }
});

test('UNKNOWN_SERVER_ERROR and INCONSISTENT_TOPIC_ID on a partition are retried, as Java does', async () => {
  const c = await FakeCluster.start({ topics: [{ name: 't', partitions: 1 }] });
  try {
    c.append('t', 0, [{ value: 'a' }, { value: 'b' }]);
    // Two of each, in turn: the consumer must back off and fetch again, not stop.
    c.failNext('Fetch', 'UNKNOWN_SERVER_ERROR', { topic: 't', partition: 0, times: 2 });
    c.failNext('Fetch', 'INCONSISTENT_TOPIC_ID', { topic: 't', partition: 0, times: 2 });
    const cons = consumer(c, { retryBackoffMs: 20, retryBackoffMaxMs: 100 });
    cons.assign([{ topic: 't', partition: 0 }]);
    const seen: string[] = [];
    await cons.run({
      eachMessage: (r) => {
        seen.push(String(r.value));
        if (seen.length === 2) setImmediate(() => cons.close());
      },
      signal: AbortSignal.timeout(15000),
    });
    assert.deepEqual(seen, ['a', 'b']);
    assert.ok(c.requestsOf('Fetch').length >= 3, 'the errors were served');
  } finally {
    await c.close();
  }
});

test('a partition without a leader is looked up on a timer until one appears', async () => {
  const c = await FakeCluster.start({ topics: [{ name: 't', partitions: 1 }] });
  try {
    c.append('t', 0, [{ value: 'a' }]);
    c.setLeader('t', 0, -1);
    const cons = consumer(c, { retryBackoffMs: 20, retryBackoffMaxMs: 200 });
    cons.assign([{ topic: 't', partition: 0 }]);
    setTimeout(() => c.setLeader('t', 0, 0), 1000);
    const seen: string[] = [];
    await cons.run({
      eachMessage: (r) => {
        seen.push(String(r.value));
        setImmediate(() => cons.close());
      },
      signal: AbortSignal.timeout(15000),
    });
    assert.deepEqual(seen, ['a']);
    assert.ok(c.requestsOf('Metadata').length >= 3, 'metadata was asked again while there was no leader');
  } finally {
    await c.close();
  }
});

test('a commit rejected with ILLEGAL_GENERATION drops the partitions as lost and rejoins', async () => {
  const c = await FakeCluster.start({ topics: [{ name: 't', partitions: 1 }] });
  try {
    c.append('t', 0, [{ value: 'a' }]);
    const events: string[] = [];
    const cons = consumer(c, { groupId: 'g', heartbeatIntervalMs: 200, autoCommit: false });
    cons.subscribe('t', {
      onPartitionsAssigned: (ps: TopicPartition[]) => void events.push(`assigned ${ps.length}`),
      onPartitionsLost: (ps: TopicPartition[]) => void events.push(`lost ${ps.length}`),
    });
    const run = cons.run({ eachMessage: () => {} });
    await waitFor(() => events.includes('assigned 1'), { what: 'joined' });
    c.failNext('OffsetCommit', 'ILLEGAL_GENERATION', { topic: 't', partition: 0 });
    await assert.rejects(
      cons.commit([{ topic: 't', partition: 0, offset: 1 }]),
      (err: unknown) => (err as { code?: string }).code === 'COMMIT_FAILED',
    );
    await waitFor(() => events.filter((e) => e === 'assigned 1').length === 2, { what: 'rejoined' });
    assert.deepEqual(events.slice(0, 3), ['assigned 1', 'lost 1', 'assigned 1']);
    await cons.close();
    await run;
  } finally {
    await c.close();
  }
});

test('heartbeats go on while a rebalance listener runs; its partitions stay', async () => {
  const c = await FakeCluster.start({ topics: [{ name: 't', partitions: 1 }] });
  try {
    const cons = consumer(c, { groupId: 'g', heartbeatIntervalMs: 200, sessionTimeoutMs: 1000 });
    let listening: [number, number] | undefined;
    const lost: number[] = [];
    cons.subscribe('t', {
      onPartitionsAssigned: async () => {
        if (listening) return;
        const t0 = Date.now();
        await sleep(3000); // three session timeouts
        listening = [t0, Date.now()];
      },
      onPartitionsLost: () => void lost.push(Date.now()),
    });
    const run = cons.run({ eachMessage: () => {} });
    await waitFor(() => listening, { what: 'the listener returned' });
    await sleep(300);
    await cons.close();
    await run;
    const [from, to] = listening!;
    const beats = c
      .requestsOf('Heartbeat')
      .filter((h) => h.at >= from - 300 && h.at <= to + 300)
      .map((h) => h.at);
    let gap = 0;
    for (let i = 1; i < beats.length; i++) gap = Math.max(gap, beats[i]! - beats[i - 1]!);
    console.log(
      `# heartbeats during a 3 s listener: ${beats.length}, largest gap ${gap} ms (interval 200 ms, session 1000 ms)`,
    );
    assert.ok(beats.length >= 8, `${beats.length} heartbeats`);
    assert.ok(gap < 1000, `largest heartbeat gap ${gap} ms`);
    assert.deepEqual(lost, [], 'nothing lost');
  } finally {
    await c.close();
  }
});

test("a fetch parked on an idle broker does not hold the buffer another broker's partition needs", async () => {
  const c = await FakeCluster.start({ nodes: 2, topics: [{ name: 't', partitions: 2 }] });
  try {
    // Partition 0 on node 0 has data; partition 1 on node 1 never gets any (its fetches park 3 s).
    for (let i = 0; i < 20; i++) c.append('t', 0, [{ value: 'x'.repeat(100_000) }]);
    const cons = consumer(c, {
      maxBufferedBytes: 2 * 1024 * 1024,
      maxPartitionFetchBytes: 1024 * 1024,
      fetchMaxWaitMs: 3000,
    });
    // Node 1's fetch is parked first; then partition 0 (node 0) is added.
    cons.assign([{ topic: 't', partition: 1 }]);
    let seen = 0;
    const t0 = Date.now();
    const run = cons.run({
      eachMessage: () => {
        if (++seen === 20) setImmediate(() => cons.close());
      },
      signal: AbortSignal.timeout(30000),
    });
    await waitFor(() => c.requestsOf('Fetch').some((r) => r.nodeId === 1), { what: 'a fetch parked on node 1' });
    cons.assign([
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
    ]);
    await run;
    const took = Date.now() - t0;
    const node0 = c.requestsOf('Fetch').filter((r) => r.nodeId === 0 && r.at - t0 < 2500).length;
    console.log(
      `# 20 records from node 0 beside a parked node 1: ${took} ms, ${node0} fetches to node 0 in the first 2.5 s`,
    );
    // Before: the parked fetch reserved the whole buffer, and node 0 got one fetch per 3 s poll.
    assert.ok(node0 >= 2, `${node0} fetches to node 0 while node 1 was parked`);
    assert.equal(seen, 20);
  } finally {
    await c.close();
  }
});

test('position lookups that fail with a retriable error (a topic not yet everywhere) are retried', async () => {
  const c = await FakeCluster.start({ topics: [{ name: 't', partitions: 1 }] });
  try {
    c.append('t', 0, [{ value: 'a' }]);
    c.failNext('ListOffsets', 'UNKNOWN_TOPIC_OR_PARTITION', { topic: 't', partition: 0, times: 3 });
    const cons = consumer(c, { groupId: 'g', retryBackoffMs: 20, retryBackoffMaxMs: 100 });
    cons.subscribe('t');
    const seen: string[] = [];
    await cons.run({
      eachMessage: (r) => {
        seen.push(String(r.value));
        setImmediate(() => cons.close());
      },
      signal: AbortSignal.timeout(20000),
    });
    assert.deepEqual(seen, ['a']);
  } finally {
    await c.close();
  }
});
