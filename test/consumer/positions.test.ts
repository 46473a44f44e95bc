import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Consumer } from '../../src/consumer/consumer.js';
import { NoOffsetError } from '../../src/consumer/errors.js';
import type { ConsumerRecord } from '../../src/consumer/record.js';
import { consumeUntil, testEnv } from '../helpers/env.js';
import { uniqueName, waitFor } from '../kafka/index.js';

const env = testEnv();

async function topicWith(count: number, partitions = 1) {
  const topic = uniqueName('pos');
  await env.producer.createTopic(topic, partitions);
  await env.producer.fill(topic, partitions, count);
  return topic;
}

test('autoOffsetReset: earliest starts at the beginning, latest at the end', async () => {
  const topic = await topicWith(100);
  const early = new Consumer({ brokers: env.kafka.bootstrap, groupId: uniqueName('g'), autoOffsetReset: 'earliest' });
  early.subscribe(topic);
  const seen = await consumeUntil(early, (s) => s.length >= 100);
  assert.equal(seen[0]!.offset, 0);

  const late = new Consumer({ brokers: env.kafka.bootstrap, groupId: uniqueName('g'), autoOffsetReset: 'latest' });
  late.subscribe(topic, {
    onPartitionsAssigned: () => {
      // Produce after the position is resolved (assignment → latest), so only new records show up.
      setTimeout(() => env.producer.send(topic, 0, [{ value: 'after' }]).catch(() => {}), 500);
    },
  });
  const fresh = await consumeUntil(late, (s) => s.length >= 1);
  assert.equal(fresh[0]!.value!.toString(), 'after');
  assert.equal(fresh[0]!.offset, 100);
});

test("autoOffsetReset: 'none' without a committed offset is a typed error", async () => {
  const topic = await topicWith(10);
  const c = new Consumer({ brokers: env.kafka.bootstrap, groupId: uniqueName('g'), autoOffsetReset: 'none' });
  c.subscribe(topic);
  await assert.rejects(
    c.run({ eachMessage: () => {} }),
    (err: unknown) =>
      err instanceof NoOffsetError && err.code === 'NO_OFFSET' && /no committed offset/.test(err.message),
  );
});

/** A topic of 50 records, a moment (`middle`), then 50 more. */
async function twoHalves(prefix: string) {
  const topic = uniqueName(prefix);
  await env.producer.createTopic(topic, 1);
  await env.producer.fill(topic, 1, 50, 'a');
  await new Promise((r) => setTimeout(r, 50));
  const middle = Date.now();
  await new Promise((r) => setTimeout(r, 50));
  await env.producer.fill(topic, 1, 50, 'b');
  return { topic, middle };
}

test('seek to an offset, to a timestamp, to the beginning and to the end', async () => {
  const { topic, middle } = await twoHalves('seek');

  const run = async (seek: (c: Consumer) => void, until: (s: ConsumerRecord[]) => boolean) => {
    const c = new Consumer({ brokers: env.kafka.bootstrap, autoOffsetReset: 'latest' });
    c.assign([{ topic, partition: 0 }]);
    const seen: ConsumerRecord[] = [];
    let seeked = false;
    const timer = setTimeout(() => c.close(), 20000);
    const started = c.run({
      eachMessage: (r) => {
        seen.push(r);
        if (until(seen)) setImmediate(() => c.close());
      },
    });
    // Seek once the assignment exists (run() resolves positions asynchronously).
    for (let i = 0; i < 100 && !seeked; i++) {
      await new Promise((r) => setTimeout(r, 50));
      if (c.assignment().length) {
        seek(c);
        seeked = true;
      }
    }
    await started;
    clearTimeout(timer);
    return seen;
  };

  const fromOffset = await run(
    (c) => c.seek({ topic, partition: 0, offset: 42 }),
    (s) => s.length >= 3,
  );
  assert.deepEqual(
    fromOffset.slice(0, 3).map((r) => r.offset),
    [42, 43, 44],
  );

  const fromTime = await run(
    (c) => c.seek({ topic, partition: 0, timestamp: middle }),
    (s) => s.length >= 1,
  );
  assert.equal(fromTime[0]!.offset, 50);
  assert.ok(fromTime[0]!.value!.toString().startsWith('b'));

  const fromStart = await run(
    (c) => c.seek({ topic, partition: 0, to: 'earliest' }),
    (s) => s.length >= 1,
  );
  assert.equal(fromStart[0]!.offset, 0);

  let afterEnd: ConsumerRecord[] = [];
  const endRun = run(
    (c) => {
      c.seek({ topic, partition: 0, to: 'latest' });
      setTimeout(() => env.producer.send(topic, 0, [{ value: 'tail' }]).catch(() => {}), 500);
    },
    (s) => s.length >= 1,
  );
  afterEnd = await endRun;
  assert.equal(afterEnd[0]!.value!.toString(), 'tail');
  assert.equal(afterEnd[0]!.offset, 100);
});

test('pause() stops delivery of a partition until resume(); other partitions keep flowing', async () => {
  const topic = await topicWith(400, 2);
  const c = new Consumer({ brokers: env.kafka.bootstrap, autoOffsetReset: 'earliest' });
  c.assign([
    { topic, partition: 0 },
    { topic, partition: 1 },
  ]);
  const seen: ConsumerRecord[] = [];
  let pausedAt = -1;
  let resumed = false;
  const timer = setTimeout(() => c.close(), 20000);
  await c.run({
    eachMessage: (r) => {
      if (pausedAt < 0) {
        c.pause([{ topic, partition: 0 }]);
        pausedAt = seen.length;
        setTimeout(() => {
          resumed = true;
          c.resume([{ topic, partition: 0 }]);
        }, 1000);
      }
      if (r.partition === 0 && !resumed && seen.length > pausedAt && r !== seen[0]) {
        // A record of the paused partition was already in hand when pause() was called: allowed only
        // as the very record being handled.
        assert.fail(`partition 0 delivered offset ${r.offset} while paused`);
      }
      seen.push(r);
      if (seen.length >= 400) setImmediate(() => c.close());
    },
  });
  clearTimeout(timer);
  assert.equal(seen.length, 400);
  const p1BeforeResume = seen.filter((r) => r.partition === 1).length;
  assert.ok(p1BeforeResume > 0);
  assert.deepEqual(
    seen.filter((r) => r.partition === 0).map((r) => r.offset),
    Array.from({ length: 200 }, (_, i) => i),
  );
});

test('an out-of-range position resets by the autoOffsetReset policy', async () => {
  const topic = await topicWith(30);
  const c = new Consumer({ brokers: env.kafka.bootstrap, autoOffsetReset: 'earliest' });
  c.assign([{ topic, partition: 0 }]);
  const seen: ConsumerRecord[] = [];
  let seeked = false;
  const timer = setTimeout(() => c.close(), 20000);
  await c.run({
    eachMessage: (r) => {
      seen.push(r);
      if (!seeked) {
        seeked = true;
        c.seek({ topic, partition: 0, offset: 100000 }); // far past the end: OFFSET_OUT_OF_RANGE
      } else if (seen.length >= 31) setImmediate(() => c.close());
    },
  });
  clearTimeout(timer);
  // The first record, then (after the out-of-range reset to earliest) all 30 again.
  assert.equal(seen.length, 31);
  assert.equal(seen[1]!.offset, 0);
});

test('a seek to a timestamp moves the offset the next commit stores, as a seek to an offset does', async () => {
  const { topic, middle } = await twoHalves('seekts');
  const groupId = uniqueName('g');
  const c = new Consumer({ brokers: env.kafka.bootstrap, groupId, autoOffsetReset: 'earliest', autoCommit: false });
  const tp = { topic, partition: 0 };
  c.assign([tp]);
  const run = c.run({ eachMessage: () => {} });
  try {
    await waitFor(() => c.assignment().length === 1);
    c.pause([tp]); // nothing is processed: only the seek moves the committable offset
    await waitFor(() => c.position(topic, 0) >= 0, { what: 'a position' });
    c.seek({ ...tp, timestamp: middle });
    await waitFor(() => c.position(topic, 0) === 50, { what: 'the seek resolved' });
    await c.commit();
    const committed = await c.committed([tp]);
    assert.equal(committed.get(`${topic}\u00000`)?.offset, 50);
  } finally {
    await c.close();
    await run;
  }
});
