// A handler that throws, against the real broker: by default the consumer stops at that record,
// commits what was processed but never the failing record, `run()` rejects with a HandlerError that
// names it, and a restarted consumer starts exactly at it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Consumer } from '../../src/consumer/consumer.js';
import { HandlerError } from '../../src/consumer/errors.js';
import type { ConsumerOptions } from '../../src/consumer/options.js';
import type { ConsumerRecord } from '../../src/consumer/record.js';
import { silentLogger } from '../../src/logger.js';
import { testEnv } from '../helpers/env.js';
import { uniqueName } from '../kafka/index.js';
import { GroupProbe } from './fixtures/children.js';

const env = testEnv();

const options = (groupId: string): ConsumerOptions => ({
  brokers: env.kafka.bootstrap,
  groupId,
  autoOffsetReset: 'earliest',
  sessionTimeoutMs: 6000,
  heartbeatIntervalMs: 500,
  logger: silentLogger, // the expected "Consumer stopping" error would only be noise here
});

const FAIL_PARTITION = 1;
const FAIL_OFFSET = 137;

for (const mode of ['eachMessage', 'eachBatch', 'concurrent eachMessage'] as const) {
  test(`${mode}: a throwing handler stops at its record, which is not committed, and a restart resumes there`, {
    timeout: 60000,
  }, async () => {
    const topic = uniqueName('handler-error');
    const groupId = uniqueName('g');
    await env.producer.createTopic(topic, 3);
    // Several batches per partition, so the failure is in the middle of a fetched chunk.
    await env.producer.fill(topic, 3, 900, 'v', 50);
    const probe = new GroupProbe(env.kafka.bootstrap, groupId);
    const first = new Consumer(options(groupId));
    const restarted = new Consumer(options(groupId));
    try {
      const processed: ConsumerRecord[] = [];
      let failures = 0;
      const fails = (r: ConsumerRecord) => r.partition === FAIL_PARTITION && r.offset === FAIL_OFFSET;
      first.subscribe(topic);
      const run =
        mode === 'eachBatch'
          ? first.run({
              eachBatch: async (batch, ctx) => {
                for (const r of batch.records) {
                  if (fails(r)) {
                    failures++;
                    throw new Error('boom');
                  }
                  processed.push(r);
                  ctx.resolveOffset(r.offset);
                  await null;
                }
              },
            })
          : first.run({
              eachMessage: async (r) => {
                if (fails(r)) {
                  failures++;
                  throw new Error('boom');
                }
                processed.push(r);
                await new Promise(setImmediate);
              },
              partitionsConsumedConcurrently: mode === 'concurrent eachMessage' ? 3 : 1,
            });
      const err = await run.then(
        () => assert.fail('run() resolved'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof HandlerError, `a HandlerError, got ${err}`);
      assert.equal(err.topic, topic);
      assert.equal(err.partition, FAIL_PARTITION);
      assert.equal(err.offset, FAIL_OFFSET);
      assert.match(err.message, new RegExp(`${topic}-${FAIL_PARTITION} at offset ${FAIL_OFFSET}`));
      assert.equal((err.cause as Error).message, 'boom');
      assert.equal(failures, 1, 'the failing record was handed to the handler once');

      // In the failing partition nothing at or after the failing record was processed or committed.
      const inFailing = processed.filter((r) => r.partition === FAIL_PARTITION).map((r) => r.offset);
      assert.deepEqual(
        inFailing,
        Array.from({ length: FAIL_OFFSET }, (_, i) => i),
      );
      const committed = await probe.committed(topic, 3);
      assert.equal(committed.get(FAIL_PARTITION), FAIL_OFFSET, 'committed up to, not past, the failing record');
      for (const p of [0, 2]) {
        const done = processed.filter((r) => r.partition === p).length;
        assert.equal(committed.get(p) ?? 0, done, `partition ${p}: what was processed is committed`);
      }

      const resumed: ConsumerRecord[] = [];
      restarted.subscribe(topic);
      await restarted.run({
        eachMessage: (r) => {
          resumed.push(r);
          if (r.partition === FAIL_PARTITION && r.offset === 299) setImmediate(() => restarted.close());
        },
        signal: AbortSignal.timeout(30000),
      });
      const again = resumed.filter((r) => r.partition === FAIL_PARTITION);
      assert.equal(again[0]?.offset, FAIL_OFFSET, 'the restart resumes exactly at the failing record');
      assert.deepEqual(
        again.map((r) => r.offset),
        Array.from({ length: 300 - FAIL_OFFSET }, (_, i) => FAIL_OFFSET + i),
      );
    } finally {
      await first.close().catch(() => {});
      await restarted.close().catch(() => {});
      probe.close();
    }
  });
}
