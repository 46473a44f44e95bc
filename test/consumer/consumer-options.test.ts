// The `assignors` option: names, Assignor objects, or both (no broker needed).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rangeAssignor } from '../../src/consumer/assignors/index.js';
import type { Assignor } from '../../src/consumer/assignors/types.js';
import { resolveConsumerOptions } from '../../src/consumer/options.js';
import { ConfigError } from '../../src/errors.js';

const base = { brokers: '127.0.0.1:9092', groupId: 'g' };
const names = (input: unknown) => resolveConsumerOptions({ ...base, assignors: input }).assignors.map((a) => a.name);

test('assignors: built-in names, custom objects, or a mix; default range, cooperative-sticky (as Java)', () => {
  const custom: Assignor = { ...rangeAssignor, name: 'mine' };
  assert.deepEqual(names(undefined), ['range', 'cooperative-sticky']);
  assert.deepEqual(names(['range']), ['range']);
  assert.deepEqual(names(['cooperative-sticky', 'range']), ['cooperative-sticky', 'range']);
  assert.deepEqual(names([custom]), ['mine']);
  assert.deepEqual(names([custom, 'roundrobin']), ['mine', 'roundrobin']);
});

test('assignors: bad values are ConfigErrors naming the option', () => {
  for (const bad of [[], 'range', ['nope'], [{ name: 'x' }], [42]]) {
    assert.throws(
      () => names(bad),
      (err: unknown) => err instanceof ConfigError && /assignors/.test(err.message),
    );
  }
  // Other options are still checked as before.
  assert.throws(() => resolveConsumerOptions({ ...base, assignors: ['range'], sessionTimeoutMs: 'x' }), ConfigError);
  assert.throws(() => resolveConsumerOptions({ ...base, asignors: ['range'] }), /unknown option/);
});

test("groupProtocol 'consumer': accepted; classic-only options are ConfigErrors (as Java's); groupRemoteAssignor only with it", () => {
  const o = resolveConsumerOptions({ ...base, groupProtocol: 'consumer', groupRemoteAssignor: 'range' });
  assert.equal(o.groupProtocol, 'consumer');
  assert.equal(o.groupRemoteAssignor, 'range');
  for (const [key, value] of [
    ['assignors', ['range']],
    ['sessionTimeoutMs', 10000],
    ['heartbeatIntervalMs', 1000],
  ] as const) {
    assert.throws(
      () => resolveConsumerOptions({ ...base, groupProtocol: 'consumer', [key]: value }),
      (err: unknown) => err instanceof ConfigError && err.message.includes(key) && /groupProtocol/.test(err.message),
    );
  }
  assert.throws(
    () => resolveConsumerOptions({ ...base, groupRemoteAssignor: 'uniform' }),
    (err: unknown) => err instanceof ConfigError && /groupRemoteAssignor/.test(err.message),
  );
  assert.throws(() => resolveConsumerOptions({ ...base, groupProtocol: 'kip848' }), ConfigError);
});
