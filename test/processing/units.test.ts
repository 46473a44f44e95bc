// Processing without a broker: Spring's header encodings (golden bytes printed by Java's own
// BigInteger and ByteBuffer), option checks, the retry schedule and withRetry's decisions, driven
// with a stand-in handler context.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EachMessage, HandlerContext } from '../../src/consumer/delivery.js';
import type { ConsumerRecord } from '../../src/consumer/record.js';
import { ConfigError, SluiceError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import { errorName, shouldRetry } from '../../src/processing/classify.js';
import { withDeadLetter } from '../../src/processing/dead-letter.js';
import { ProcessingFailedError } from '../../src/processing/errors.js';
import { forwardingHeaders } from '../../src/processing/forward.js';
import {
  decodeAttempts,
  decodeBigInteger,
  encodeBigInteger,
  encodeInt32,
  encodeInt64,
  HeaderNames,
  readDeadLetter,
} from '../../src/processing/headers.js';
import { retryTopics } from '../../src/processing/retry-topics.js';
import { resolveRetryOptions, retryDelay, withRetry } from '../../src/processing/with-retry.js';
import { Producer } from '../../src/producer/producer.js';

// `BigInteger.valueOf(v).toByteArray()`, printed by Java 17 (see the comment in headers.ts).
const JAVA_BIGINTEGER: Array<[number, string]> = [
  [0, '00'],
  [1, '01'],
  [127, '7f'],
  [128, '0080'],
  [255, '00ff'],
  [256, '0100'],
  [-1, 'ff'],
  [-128, '80'],
  [-129, 'ff7f'],
  [1700000000000, '018bcfe56800'],
  [1786000000123, '019fd5e5447b'],
  [9007199254740991, '1fffffffffffff'],
];

test('headers: longs as Java BigInteger.toByteArray, ints and longs as ByteBuffer big-endian', () => {
  for (const [v, hex] of JAVA_BIGINTEGER) {
    assert.equal(encodeBigInteger(v).toString('hex'), hex, `encode ${v}`);
    assert.equal(decodeBigInteger(Buffer.from(hex, 'hex')), v, `decode ${hex}`);
  }
  assert.equal(decodeBigInteger(Buffer.alloc(0)), undefined);
  assert.equal(decodeBigInteger(Buffer.alloc(9)), undefined);
  assert.equal(encodeInt32(-2).toString('hex'), 'fffffffe'); // ByteBuffer.allocate(4).putInt(-2)
  assert.equal(encodeInt32(3).toString('hex'), '00000003');
  assert.equal(encodeInt64(1700000000000).toString('hex'), '0000018bcfe56800');
  // retry_topic-attempts: 4 bytes, or 1 unsigned byte as older Spring versions wrote it.
  assert.equal(decodeAttempts(encodeInt32(7)), 7);
  assert.equal(decodeAttempts(Buffer.from([200])), 200);
  assert.equal(decodeAttempts(Buffer.from([0, 0])), undefined);
});

const record = (over: Partial<ConsumerRecord> = {}): ConsumerRecord => ({
  topic: 'orders',
  partition: 3,
  offset: 42,
  timestamp: 1700000000000,
  key: Buffer.from('k'),
  value: Buffer.from('v'),
  headers: [],
  leaderEpoch: 0,
  ...over,
});

test('headers: a dead letter carries both Spring families; earlier forwarding headers are replaced', () => {
  const err = new TypeError('bad total', { cause: new RangeError('negative') });
  const prior = forwardingHeaders(record({ headers: [{ key: 'trace', value: Buffer.from('abc') }] }), 'g1', {
    target: 'orders.retry.1',
    dlq: false,
    origin: { topic: 'orders', partition: 3, offset: 42, timestamp: 1700000000000 },
    error: new Error('first'),
    attempts: 2,
    dueAt: 1700000001000,
  });
  // The copy as read back from orders.retry.1 fails again and goes to the DLQ.
  const fromRetry = record({ topic: 'orders.retry.1', offset: 7, headers: prior });
  const out = forwardingHeaders(fromRetry, 'g1', {
    target: 'orders.dlq',
    dlq: true,
    origin: { topic: 'orders', partition: 3, offset: 42, timestamp: 1700000000000 },
    error: err,
    attempts: 3,
    dueAt: 1700000002000,
  });
  const count = (k: string) => out.filter((h) => h.key === k).length;
  for (const k of Object.values(HeaderNames)) {
    if (k.endsWith('timestamp-type')) continue; // records do not say their timestamp type (yet)
    assert.equal(count(k), 1, `exactly one ${k}`);
  }
  assert.equal(count('trace'), 1, 'the record’s own headers are kept');
  const get = (k: string) => out.find((h) => h.key === k)!.value!;
  assert.equal(get(HeaderNames.DLT_ORIGINAL_TOPIC).toString(), 'orders');
  assert.equal(get(HeaderNames.DLT_ORIGINAL_PARTITION).readInt32BE(0), 3);
  assert.equal(get(HeaderNames.DLT_ORIGINAL_OFFSET).readBigInt64BE(0), 42n);
  assert.equal(get(HeaderNames.DLT_ORIGINAL_TIMESTAMP).readBigInt64BE(0), 1700000000000n);
  assert.equal(get(HeaderNames.DLT_ORIGINAL_CONSUMER_GROUP).toString(), 'g1');
  assert.equal(get(HeaderNames.DLT_EXCEPTION_FQCN).toString(), 'TypeError');
  assert.equal(get(HeaderNames.DLT_EXCEPTION_CAUSE_FQCN).toString(), 'RangeError');
  assert.equal(get(HeaderNames.DLT_EXCEPTION_MESSAGE).toString(), 'bad total; negative');
  assert.match(get(HeaderNames.DLT_EXCEPTION_STACKTRACE).toString(), /^TypeError: bad total\n\s+at /);
  assert.equal(get(HeaderNames.EXCEPTION_MESSAGE).toString(), 'bad total; negative');
  assert.equal(get(HeaderNames.RETRY_ATTEMPTS).toString('hex'), '00000003');
  assert.equal(
    get(HeaderNames.RETRY_BACKOFF_TIMESTAMP).toString('hex'),
    encodeBigInteger(1700000002000).toString('hex'),
  );
  assert.equal(get(HeaderNames.RETRY_ORIGINAL_TIMESTAMP).toString('hex'), '018bcfe56800');

  const info = readDeadLetter(out.map((h) => ({ key: h.key, value: h.value })));
  assert.deepEqual(
    { ...info, stackTrace: undefined },
    {
      topic: 'orders',
      partition: 3,
      offset: 42,
      timestamp: 1700000000000,
      consumerGroup: 'g1',
      exceptionName: 'TypeError',
      exceptionCauseName: 'RangeError',
      exceptionMessage: 'bad total; negative',
      stackTrace: undefined,
      attempts: 3,
      originalTimestamp: 1700000000000,
      dueAt: 1700000002000,
    },
  );
});

test('classification: own retriable flags, SyntaxError never, anything else yes; error names', () => {
  assert.equal(shouldRetry(new Error('db down')), true);
  assert.equal(shouldRetry('a string'), true);
  assert.equal(shouldRetry(new SyntaxError('Unexpected token')), false);
  assert.equal(shouldRetry(new SluiceError('x', { code: 'X', retriable: false })), false);
  assert.equal(shouldRetry(new SluiceError('x', { code: 'X', retriable: true })), true);
  assert.equal(shouldRetry(Object.assign(new Error('no'), { retriable: false })), false);
  class PaymentDeclined extends Error {}
  assert.equal(errorName(new PaymentDeclined('x')), 'PaymentDeclined');
  assert.equal(errorName(new ConfigError('a', 'b')), 'ConfigError');
  assert.equal(errorName('text'), 'string');
});

test('withRetry options: defaults, and bad values are ConfigErrors naming the option', () => {
  const o = resolveRetryOptions(undefined);
  assert.deepEqual(
    { ...o, retryIf: undefined },
    { retries: 3, minDelayMs: 100, maxDelayMs: 30000, factor: 2, jitter: 0.2, retryIf: undefined },
  );
  const bad = (input: unknown, option: string) =>
    assert.throws(
      () => withRetry(input as never),
      (e: unknown) => e instanceof ConfigError && e.option === option,
      `${JSON.stringify(input)} → ${option}`,
    );
  bad({ retries: -1 }, 'retries');
  bad({ retries: 1.5 }, 'retries');
  bad({ minDelayMs: 2 ** 31 }, 'minDelayMs');
  bad({ maxDelayMs: 2 ** 31 }, 'maxDelayMs');
  bad({ minDelayMs: 500, maxDelayMs: 100 }, 'minDelayMs');
  bad({ factor: 0.5 }, 'factor');
  bad({ jitter: 2 }, 'jitter');
  bad({ retryIf: 'yes' }, 'retryIf');
  bad({ retrys: 3 }, 'retrys');
  bad({ __proto__: 1, constructor: 1 }, 'constructor');
  assert.throws(() => withRetry()(42 as never), ConfigError);
});

test('retry schedule: exponential from minDelayMs, capped at maxDelayMs, jitter within ±jitter', () => {
  const o = resolveRetryOptions({ minDelayMs: 100, maxDelayMs: 1000, factor: 3, jitter: 0 });
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((n) => retryDelay(n, o)),
    [100, 300, 900, 1000, 1000],
  );
  const j = resolveRetryOptions({ minDelayMs: 1000, maxDelayMs: 10000, jitter: 0.2 });
  assert.equal(
    retryDelay(1, j, () => 0),
    800,
  );
  assert.equal(
    retryDelay(1, j, () => 0.999999),
    1200,
  );
  assert.equal(
    retryDelay(10, j, () => 0.999999),
    10000,
    'never above maxDelayMs',
  );
  // Huge retry numbers stay finite.
  assert.equal(retryDelay(5000, resolveRetryOptions({ jitter: 0 })), 30000);
});

/** A handler context whose retryAfter records the delays asked for. */
function fakeCtx() {
  const controller = new AbortController();
  const delays: number[] = [];
  const ctx: HandlerContext = {
    signal: controller.signal,
    sequential: true,
    groupMetadata: { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null },
    retryAfter: (ms: number) => {
      delays.push(ms);
    },
  };
  return { ctx, delays, controller };
}

test('withRetry: retries with retryAfter until the retries are used up, then ProcessingFailedError', async () => {
  const { ctx, delays } = fakeCtx();
  let runs = 0;
  const h = withRetry({ retries: 2, minDelayMs: 10, jitter: 0 })<EachMessage>(async () => {
    runs++;
    throw new Error('down');
  });
  const r = record();
  await h(r, ctx); // run 1 → retry in 10
  await h(r, ctx); // run 2 → retry in 20
  await assert.rejects(
    async () => h(r, ctx),
    (e: unknown) =>
      e instanceof ProcessingFailedError &&
      e.code === 'RETRIES_EXHAUSTED' &&
      e.attempts === 3 &&
      (e.cause as Error).message === 'down' &&
      /orders-3 offset 42: gave up after 3 attempts: down/.test(e.message),
  );
  assert.equal(runs, 3);
  assert.deepEqual(delays, [10, 20]);
  // Counting starts afresh for the same record after it was given up on, and per record.
  await h(r, ctx);
  await h(record({ offset: 43 }), ctx);
  assert.deepEqual(delays, [10, 20, 10, 10]);
});

test('withRetry: not retriable → at once; success clears the count; sync handlers stay sync', async () => {
  const { ctx, delays } = fakeCtx();
  const poison = withRetry({ retries: 5 })<EachMessage>(() => JSON.parse('{'));
  assert.throws(
    () => poison(record(), ctx),
    (e: unknown) => e instanceof ProcessingFailedError && e.code === 'NOT_RETRIABLE' && e.attempts === 1,
  );
  assert.deepEqual(delays, []);
  let fail = true;
  const h = withRetry({ retries: 1, minDelayMs: 5, jitter: 0 })<EachMessage>((r) => {
    if (fail) throw new Error('once');
    return r.offset;
  });
  assert.equal(h(record(), ctx), undefined); // failed once, retry asked for
  fail = false;
  assert.equal(h(record(), ctx), 42, 'a synchronous result is returned as is');
  fail = true;
  assert.equal(h(record(), ctx), undefined, 'the count was cleared by the success: a retry again');
  assert.deepEqual(delays, [5, 5]);
  // The user predicate decides, with the attempt number.
  const seen: number[] = [];
  const custom = withRetry({
    retries: 9,
    retryIf: (_e, _r, attempt) => {
      seen.push(attempt);
      return attempt < 2;
    },
  })<EachMessage>(() => {
    throw new Error('x');
  });
  custom(record({ offset: 1 }), ctx);
  assert.throws(
    () => custom(record({ offset: 1 }), ctx),
    (e: unknown) => (e as SluiceError).code === 'NOT_RETRIABLE',
  );
  assert.deepEqual(seen, [1, 2]);
});

test('withRetry: a handler failing after its signal aborted is left to the consumer', async () => {
  const { ctx, delays, controller } = fakeCtx();
  const h = withRetry()<EachMessage>(async () => {
    controller.abort();
    throw new Error('aborted work');
  });
  await assert.rejects(async () => h(record(), ctx), /aborted work/);
  assert.deepEqual(delays, []);
});

test('withDeadLetter / retryTopics options: ConfigErrors for bad producers, delays and names', async () => {
  const producer = new Producer({ brokers: '127.0.0.1:1', logger: silentLogger });
  const acks1 = new Producer({ brokers: '127.0.0.1:1', acks: 1, logger: silentLogger });
  try {
    const bad = (f: () => unknown, option: string) =>
      assert.throws(f, (e: unknown) => e instanceof ConfigError && e.option === option, option);
    bad(() => withDeadLetter({} as never), 'producer');
    bad(() => withDeadLetter({ producer: acks1 }), 'producer');
    bad(() => withDeadLetter({ producer, topic: 'dlq' as never }), 'topic');
    bad(() => withDeadLetter({ producer, dlqTopic: 'x' } as never), 'dlqTopic');
    bad(() => withDeadLetter({ producer, admin: {} as never }), 'admin');
    bad(() => withDeadLetter({ producer, newTopic: { partitions: 3 } as never }), 'newTopic.partitions');
    bad(() => retryTopics({ producer, delays: [] }), 'delays');
    bad(() => retryTopics({ producer, delays: [1000, -1] }), 'delays[1]');
    bad(() => retryTopics({ producer, delays: [2 ** 31] }), 'delays[0]');
    bad(() => retryTopics({ producer, delays: [1], dlq: 'yes' as never }), 'dlq');
    bad(() => retryTopics({ producer, delays: [1], names: { retry: 'x' as never } }), 'names.retry');
    bad(() => retryTopics({ producer, delays: [1], names: { retry: (t) => t } }).topics('orders'), 'names.retry');
    const rt = retryTopics({ producer, delays: [1000, 5000] });
    assert.deepEqual(rt.topics(['a', 'b']), ['a', 'a.retry.1', 'a.retry.2', 'b', 'b.retry.1', 'b.retry.2']);
    await assert.rejects(rt.createTopics('a'), (e: unknown) => e instanceof ConfigError && e.option === 'admin');
  } finally {
    await Promise.all([producer.close(), acks1.close()]);
  }
});
