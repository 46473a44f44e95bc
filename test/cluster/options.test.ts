import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay } from '../../src/cluster/backoff.js';
import { parseBrokerAddress, resolveClientOptions } from '../../src/cluster/options.js';
import { ConfigError } from '../../src/errors.js';

test('client options: defaults mirror the Java client', () => {
  const o = resolveClientOptions('Admin', { brokers: 'localhost:9092,127.0.0.1:9093' });
  assert.deepEqual(o.brokers, [
    { host: 'localhost', port: 9092 },
    { host: '127.0.0.1', port: 9093 },
  ]);
  assert.equal(o.requestTimeoutMs, 30000);
  assert.equal(o.retryBackoffMs, 100);
  assert.equal(o.retryBackoffMaxMs, 1000);
  assert.equal(o.reconnectBackoffMs, 50);
  assert.equal(o.reconnectBackoffMaxMs, 1000);
  assert.equal(o.defaultApiTimeoutMs, 60000);
  assert.equal(o.clientId, 'sluice');
});

test('client options: unknown names, wrong types and bad addresses name the option', () => {
  const bad = (input: unknown, option: string, pattern: RegExp) => {
    assert.throws(
      () => resolveClientOptions('Consumer', input),
      (err: unknown) => err instanceof ConfigError && err.option === option && pattern.test(err.message),
    );
  };
  bad(
    { brokers: ['a:1'], requestTimeout: 5 },
    'requestTimeout',
    /unknown option for Consumer \(did you mean "requestTimeoutMs"\?\)/,
  );
  bad({ brokers: ['a:1'], requestTimeoutMs: '5' }, 'requestTimeoutMs', /expected number \(request\.timeout\.ms\)/);
  bad({ brokers: ['a:1'], retryBackoffMs: -1 }, 'retryBackoffMs', /must be >= 0/);
  bad({ brokers: ['localhost'] }, 'brokers', /malformed broker address "localhost"/);
  bad({ brokers: ['h:99999'] }, 'brokers', /malformed broker address/);
  bad({}, 'brokers', /is required/);
  bad({ brokers: 'a:1', sasl: { mechanism: 'GSSAPI' } }, 'sasl', /mechanism must be one of PLAIN/);
  bad('nope', 'Consumer', /expected an options object/);
});

test('broker addresses: names, IPv4 and bracketed IPv6', () => {
  assert.deepEqual(parseBrokerAddress('[::1]:9092'), { host: '::1', port: 9092 });
  assert.deepEqual(parseBrokerAddress(' kafka-1.example:19092 '), { host: 'kafka-1.example', port: 19092 });
});

test('backoff grows exponentially, is capped, and jitters within ±20%', () => {
  const o = { initialMs: 100, maxMs: 1000 };
  assert.equal(
    backoffDelay(0, o, () => 0.5),
    100,
  );
  assert.equal(
    backoffDelay(1, o, () => 0.5),
    200,
  );
  assert.equal(
    backoffDelay(3, o, () => 0.5),
    800,
  );
  assert.equal(
    backoffDelay(10, o, () => 0.5),
    1000,
  );
  assert.equal(
    backoffDelay(0, o, () => 0),
    80,
  );
  assert.equal(
    backoffDelay(0, o, () => 1),
    120,
  );
  assert.equal(
    backoffDelay(50, o, () => 1),
    1000,
  );
});
