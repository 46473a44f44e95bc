// Wrong arguments to Consumer methods are ConfigErrors that name the argument (no broker needed).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Consumer } from '../../src/consumer/consumer.js';
import { ConfigError } from '../../src/errors.js';

const consumer = () => new Consumer({ brokers: '127.0.0.1:1', groupId: 'g' });

function rejects(fn: () => unknown, option: RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `a ConfigError, got ${(err as Error)?.constructor?.name}: ${err}`);
    assert.match(err.option, option);
    assert.equal(err.code, 'INVALID_CONFIG');
    return true;
  });
}

test('subscribe(): topic names, arrays of them or a RegExp', () => {
  rejects(() => consumer().subscribe(42 as never), /^topics$/);
  rejects(() => consumer().subscribe(null as never), /^topics$/);
  rejects(() => consumer().subscribe([] as never), /^topics$/);
  rejects(() => consumer().subscribe(['ok', 7] as never), /^topics$/);
  rejects(() => consumer().subscribe('has space'), /^topics$/);
  rejects(() => consumer().subscribe('x'.repeat(250)), /^topics$/);
  rejects(() => consumer().subscribe('..'), /^topics$/);
  rejects(() => consumer().subscribe('t', 'listener' as never), /^listener$/);
  rejects(() => consumer().subscribe('t', { onPartitionsAssigned: 1 } as never), /^listener\.onPartitionsAssigned$/);
  consumer().subscribe(['a.b_c-1', 'a.b_c-1']);
  consumer().subscribe(/^orders-/);
});

test('assign(), pause(), resume(): arrays of { topic, partition }', () => {
  rejects(() => consumer().assign(null as never), /^partitions$/);
  rejects(() => consumer().assign({ topic: 't', partition: 0 } as never), /^partitions$/);
  rejects(() => consumer().assign([null] as never), /^partitions$/);
  rejects(() => consumer().assign([{ topic: 't', partition: -1 }]), /^partitions\.partition$/);
  rejects(() => consumer().assign([{ topic: 't', partition: 1.5 }]), /^partitions\.partition$/);
  rejects(() => consumer().assign([{ topic: '', partition: 0 }]), /^partitions\.topic$/);
  rejects(() => consumer().pause('t' as never), /^partitions$/);
  rejects(() => consumer().resume(undefined as never), /^partitions$/);
});

test('run(), close(), seek(): handlers, concurrency, signal and timeouts', async () => {
  await assert.rejects(consumer().run({} as never), ConfigError);
  await assert.rejects(consumer().run({ eachMessage: 'no' } as never), ConfigError);
  await assert.rejects(
    consumer().run({ eachMessage: () => {}, partitionsConsumedConcurrently: 0 }),
    (err: unknown) => err instanceof ConfigError && err.option === 'partitionsConsumedConcurrently',
  );
  await assert.rejects(
    consumer().run({ eachMessage: () => {}, signal: {} as never }),
    (err: unknown) => err instanceof ConfigError && err.option === 'signal',
  );
  // Node cuts timers of 2^31 ms or more to 1 ms: such a timeout would fire at once.
  rejects(() => consumer().close({ timeoutMs: 2 ** 31 }), /^timeoutMs$/);
  rejects(() => consumer().close({ timeoutMs: -1 }), /^timeoutMs$/);
  const c = consumer();
  c.assign([{ topic: 't', partition: 0 }]);
  assert.throws(() => c.seek({ topic: 't', partition: 0, offset: 1 }), /not assigned/); // not started yet
  rejects(() => c.seek(null as never), /^seek$/);
  await c.close();
});
