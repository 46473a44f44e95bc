import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Admin } from '../../src/admin/admin.js';
import { backoffDelay } from '../../src/cluster/backoff.js';
import { parseBrokerAddress, resolveClientOptions } from '../../src/cluster/options.js';
import { resolveConsumerOptions } from '../../src/consumer/options.js';
import { ConfigError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import { resolveProducerOptions } from '../../src/producer/options.js';
import { Producer } from '../../src/producer/producer.js';

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

test('durations: every *Ms option of every client is capped at 2^31-1 ms (Node would fire a longer timer after 1 ms)', () => {
  const tooLong = 2 ** 31;
  const names = (err: unknown, option: string) =>
    err instanceof ConfigError &&
    err.option === option &&
    /must be <= 2147483647 \(about 24\.8 days, the longest timer Node\.js supports\), got 2147483648/.test(err.message);
  for (const option of [
    'requestTimeoutMs',
    'connectionTimeoutMs',
    'retryBackoffMs',
    'retryBackoffMaxMs',
    'reconnectBackoffMs',
    'reconnectBackoffMaxMs',
    'metadataMaxAgeMs',
    'defaultApiTimeoutMs',
  ]) {
    assert.throws(
      () => resolveClientOptions('Admin', { brokers: 'a:1', [option]: tooLong }),
      (e) => names(e, option),
    );
    // The largest legal value is accepted.
    assert.equal(
      resolveClientOptions('Admin', { brokers: 'a:1', [option]: 2 ** 31 - 1 })[option as 'requestTimeoutMs'],
      2 ** 31 - 1,
    );
  }
  // The consumer's own durations go through the same check (validateOptions is shared).
  for (const option of ['sessionTimeoutMs', 'rebalanceTimeoutMs', 'autoCommitIntervalMs', 'fetchMaxWaitMs']) {
    assert.throws(
      () => resolveConsumerOptions({ brokers: 'a:1', groupId: 'g', [option]: tooLong }),
      (e) => names(e, option),
    );
  }
  for (const option of ['maxBlockMs', 'lingerMs']) {
    assert.throws(
      () => resolveProducerOptions({ brokers: 'a:1', [option]: tooLong }),
      (e) => e instanceof ConfigError && e.option === option && /must be <= 2147483647/.test(e.message),
    );
  }
});

test('SASL: PLAIN and SCRAM need a username and a password, OAUTHBEARER a token provider', () => {
  const sasl = (s: unknown, pattern: RegExp) =>
    assert.throws(
      () => resolveClientOptions('Producer', { brokers: 'a:1', sasl: s }),
      (err: unknown) => err instanceof ConfigError && err.option === 'sasl' && pattern.test(err.message),
      JSON.stringify(s),
    );
  sasl({ mechanism: 'PLAIN' }, /PLAIN needs a non-empty username \(a string\), got none/);
  sasl({ mechanism: 'PLAIN', username: 'u' }, /PLAIN needs a non-empty password \(a string\), got none/);
  sasl({ mechanism: 'PLAIN', username: '', password: 'p' }, /username .* got an empty string/);
  sasl(
    { mechanism: 'SCRAM-SHA-256', username: 'u', password: null },
    /SCRAM-SHA-256 needs a non-empty password .* got null/,
  );
  sasl(
    { mechanism: 'SCRAM-SHA-512', username: 42, password: 'p' },
    /SCRAM-SHA-512 needs a non-empty username .* got a number/,
  );
  sasl({ mechanism: 'OAUTHBEARER' }, /OAUTHBEARER needs a token provider/);
  sasl({ mechanism: 'OAUTHBEARER', token: 'abc' }, /OAUTHBEARER needs a token provider/);
  // A wrong-typed secret is described, never echoed.
  assert.throws(
    () =>
      resolveClientOptions('Admin', { brokers: 'a:1', sasl: { mechanism: 'PLAIN', username: 'u', password: 123456 } }),
    (err: unknown) => err instanceof ConfigError && !/123456/.test(err.message),
  );
  for (const ok of [
    { mechanism: 'PLAIN', username: 'u', password: 'p' },
    { mechanism: 'SCRAM-SHA-512', username: 'u', password: 'p' },
    { mechanism: 'OAUTHBEARER', token: () => 'jwt' },
  ]) {
    assert.deepEqual(resolveClientOptions('Admin', { brokers: 'a:1', sasl: ok }).sasl, ok);
  }
});

test('option names from Object.prototype (__proto__, constructor, toString) are unknown options; null-prototype objects work', () => {
  for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
    const input = JSON.parse(`{"brokers": "a:1", "${name}": 5}`);
    for (const resolve of [
      () => resolveClientOptions('Admin', input),
      () => resolveProducerOptions(input),
      () => resolveConsumerOptions({ ...input, groupId: 'g' }),
    ]) {
      assert.throws(
        resolve,
        (err: unknown) =>
          err instanceof ConfigError &&
          err.option === name &&
          new RegExp(`^Invalid option "${name}": unknown option for (Admin|Producer|Consumer)`).test(err.message),
        name,
      );
    }
  }
  const bare = Object.assign(Object.create(null), { brokers: 'a:1', clientId: 'bare', groupId: 'g' });
  assert.equal(resolveConsumerOptions(bare).clientId, 'bare');
  const { groupId: _g, ...admin } = bare;
  assert.equal(resolveClientOptions('Admin', Object.assign(Object.create(null), admin)).clientId, 'bare');
  assert.equal(resolveProducerOptions(Object.assign(Object.create(null), admin)).clientId, 'bare');
});

test('per-call timeoutMs: out-of-range values are ConfigErrors, not timers cut to 1 ms', async () => {
  const a = new Admin({ brokers: '127.0.0.1:1', logger: silentLogger });
  try {
    for (const bad of [2 ** 31, Number.POSITIVE_INFINITY, -1, Number.NaN, '5000']) {
      await assert.rejects(
        a.listTopics({ timeoutMs: bad as number }),
        (err: unknown) => err instanceof ConfigError && err.option === 'timeoutMs',
        String(bad),
      );
    }
    await assert.rejects(
      a.listTopics({ timeoutMs: 2 ** 31 }),
      /Invalid option "timeoutMs": must be <= 2147483647 .*, got 2147483648/,
    );
  } finally {
    a.close();
  }
  const p = new Producer({ brokers: '127.0.0.1:1', logger: silentLogger });
  await assert.rejects(p.close({ timeoutMs: 2 ** 31 }), (err: unknown) => err instanceof ConfigError);
  await p.close({ timeoutMs: 1000 });
});
