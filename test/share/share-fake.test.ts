// Deterministic share consumer cases on the in-process fake broker (test/share/fake-share.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../src/logger.js';
import type { ShareConsumerOptions } from '../../src/share/options.js';
import { ShareConsumer } from '../../src/share/share-consumer.js';
import type { ShareCommitResult, ShareRecord } from '../../src/share/types.js';
import { FakeCluster } from '../helpers/fake-broker.js';
import { waitFor } from '../kafka/index.js';
import { FakeShareGroup } from './fake-share.js';

async function setup(records: number, opts: { versions?: Record<string, number | null> } = {}) {
  const cluster = await FakeCluster.start({ topics: [{ name: 't', partitions: 1 }], versions: opts.versions });
  cluster.append(
    't',
    0,
    Array.from({ length: records }, (_, i) => ({ value: `v${i}` })),
  );
  return { cluster, group: new FakeShareGroup(cluster, 't') };
}

function consumer(cluster: FakeCluster, extra: Partial<ShareConsumerOptions> = {}) {
  return new ShareConsumer({
    brokers: cluster.bootstrap,
    groupId: 'g',
    fetchMaxWaitMs: 20,
    retryBackoffMs: 20,
    logger: silentLogger,
    ...extra,
  });
}

test('SHARE_SESSION_NOT_FOUND: the session is reopened with epoch 0; the lost acknowledgements are reported; nothing is lost', {
  timeout: 30000,
}, async () => {
  const { cluster, group } = await setup(10);
  const acks: ShareCommitResult[] = [];
  const c = consumer(cluster, { maxPollRecords: 5, onAcknowledgementCommit: (r) => acks.push(...r) });
  const seen: ShareRecord[] = [];
  try {
    c.subscribe('t');
    const running = c.run({
      eachMessage: (r) => {
        seen.push(r);
        // The broker evicts the session while the member works on its first five records.
        if (seen.length === 5) group.dropSession(c.memberId);
      },
    });
    await waitFor(() => [...group.records.values()].filter((s) => s.state === 'done').length === 10 || undefined, {
      timeoutMs: 20000,
      what: 'all 10 acknowledged',
    });
    await c.close();
    await running;
  } finally {
    await c.close();
    await cluster.close();
  }
  const fetchEpochs = group.seen.filter((s) => s.api === 'ShareFetch').map((s) => s.epoch);
  assert.deepEqual(fetchEpochs.slice(0, 4), [0, 1, 0, 1], 'opened, failed at 1, reopened at 0, went on');
  const failed = acks.filter((a) => a.error);
  assert.equal(failed.length, 1);
  assert.deepEqual(failed[0]!.offsets, [0, 1, 2, 3, 4]);
  assert.equal((failed[0]!.error as { code?: string }).code, 'SHARE_ACKNOWLEDGE_FAILED');
  assert.match(failed[0]!.error!.message, /SHARE_SESSION_NOT_FOUND/);
  assert.deepEqual(
    seen.map((r) => `${r.offset}:${r.deliveryCount}`),
    ['0:1', '1:1', '2:1', '3:1', '4:1', '0:2', '1:2', '2:2', '3:2', '4:2', '5:1', '6:1', '7:1', '8:1', '9:1'],
  );
  assert.ok(
    group.seen.every((s) => s.epoch !== 0 || s.acks.length === 0),
    'no acknowledgements on an opening request',
  );
});

test('FENCED_MEMBER_EPOCH: the handler signal aborts, held records are abandoned (no acks sent), the member rejoins with epoch 0 and the same id', {
  timeout: 30000,
}, async () => {
  const { cluster, group } = await setup(3);
  const c = consumer(cluster);
  const deliveries: string[] = [];
  let aborted = false;
  let fencedAt = -1;
  try {
    c.subscribe('t');
    const running = c.run({
      eachBatch: async (batch, ctx) => {
        deliveries.push(...batch.records.map((r) => `${r.offset}:${r.deliveryCount}`));
        if (fencedAt >= 0) return;
        fencedAt = group.seen.length;
        group.fenceNext = true;
        await new Promise<void>((resolve) => {
          ctx.signal.addEventListener('abort', () => resolve());
          setTimeout(resolve, 10000);
        });
        aborted = ctx.signal.aborted;
        for (const r of batch.records) ctx.acknowledge(r, 'accept'); // ignored: the records are no longer ours
      },
    });
    await waitFor(() => [...group.records.values()].filter((s) => s.state === 'done').length === 3 || undefined, {
      timeoutMs: 20000,
      what: 'all 3 accepted after the rejoin',
    });
    await c.close();
    await running;
  } finally {
    await c.close();
    await cluster.close();
  }
  assert.ok(aborted, 'the handler signal aborted on the fence');
  assert.deepEqual(deliveries, ['0:1', '1:1', '2:1', '0:2', '1:2', '2:2']);
  const after = group.seen.slice(fencedAt);
  const firstAcked = after.findIndex((s) => s.acks.length > 0);
  assert.ok(
    after.slice(0, firstAcked + 1).every((s) => s.acks.every(([, type]) => type === 1)) &&
      after[firstAcked]!.epoch > 0 &&
      group.seen.slice(0, fencedAt).every((s) => s.acks.length === 0),
    'the first delivery was never acknowledged',
  );
  const joins = group.heartbeats.filter((h) => h.memberEpoch === 0);
  assert.ok(joins.length >= 2, 'joined, then rejoined with epoch 0');
  assert.ok(
    joins.every((h) => h.memberId === c.memberId),
    'with the same member id',
  );
});

test('a broker without share groups: run() fails promptly with SHARE_GROUP_UNSUPPORTED (not retriable)', {
  timeout: 30000,
}, async () => {
  const cluster = await FakeCluster.start({
    topics: [{ name: 't', partitions: 1 }],
    versions: { ShareGroupHeartbeat: null },
  });
  const c = consumer(cluster);
  try {
    c.subscribe('t');
    await assert.rejects(
      c.run({ eachMessage: () => {} }),
      (err: { code?: string; retriable?: boolean; message: string }) =>
        err.code === 'SHARE_GROUP_UNSUPPORTED' && err.retriable === false && /Kafka 4\.2\+/.test(err.message),
    );
  } finally {
    await c.close();
    await cluster.close();
  }
});

test('renew on a broker with ShareAcknowledge v1 only: a typed RENEW_UNSUPPORTED error', {
  timeout: 30000,
}, async () => {
  const { cluster } = await setup(1, { versions: { ShareAcknowledge: 1, ShareFetch: 1 } });
  const c = consumer(cluster, { acknowledgementMode: 'explicit' });
  let error: unknown;
  try {
    c.subscribe('t');
    for await (const r of c) {
      try {
        c.acknowledge(r, 'renew');
      } catch (err) {
        error = err;
      }
      c.acknowledge(r, 'accept');
      break;
    }
  } finally {
    await c.close();
    await cluster.close();
  }
  assert.equal((error as { code?: string }).code, 'RENEW_UNSUPPORTED');
});

test('authorization failures stop the consumer with the typed Kafka error: GROUP_AUTHORIZATION_FAILED on the heartbeat, TOPIC_AUTHORIZATION_FAILED on a partition', {
  timeout: 30000,
}, async () => {
  for (const where of ['heartbeat', 'fetch'] as const) {
    const { cluster } = await setup(1);
    if (where === 'heartbeat') {
      cluster.on('ShareGroupHeartbeat', (req) => ({
        throttleTimeMs: 0,
        errorCode: 30,
        errorMessage: 'not allowed',
        memberId: req.memberId,
        memberEpoch: 0,
        heartbeatIntervalMs: 0,
        assignment: null,
      }));
    } else {
      cluster.on('ShareFetch', async (_req, ctx) => {
        const res = (await ctx.next())!;
        for (const t of res.responses)
          for (const p of t.partitions) Object.assign(p, { errorCode: 29, acquiredRecords: [] });
        return res;
      });
    }
    const c = consumer(cluster);
    try {
      c.subscribe('t');
      await assert.rejects(
        c.run({ eachMessage: () => {} }),
        (err: { code?: string }) =>
          err.code === (where === 'heartbeat' ? 'GROUP_AUTHORIZATION_FAILED' : 'TOPIC_AUTHORIZATION_FAILED'),
      );
    } finally {
      await c.close();
      await cluster.close();
    }
  }
});
