// Timeouts past what Node's timers hold (2^31-1 ms) must never become "time out after 1 ms".
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { sleep } from '../../src/cluster/backoff.js';
import { ConfigError } from '../../src/errors.js';
import { Connection } from '../../src/network/connection.js';
import { AbortedError } from '../../src/network/errors.js';
import { checkTimeout, MAX_TIMEOUT_MS, timerDelay } from '../../src/network/timeouts.js';
import { Metadata } from '../../src/protocol/generated/index.js';
import { type FakeBroker, metadataResponse, startFakeBroker } from '../cluster/fake-broker.js';

const brokers: FakeBroker[] = [];
after(async () => {
  await Promise.all(brokers.map((b) => b.close()));
});

test('a request timeout of 2^31 ms or more waits for the answer instead of timing out after 1 ms', async () => {
  const b = await startFakeBroker({
    handle: (req) =>
      req.apiKey === 3
        ? new Promise((r) => setTimeout(() => r(metadataResponse([{ nodeId: 1, host: '127.0.0.1', port: 1 }])), 200))
        : undefined,
  });
  brokers.push(b);
  const conn = new Connection({
    host: b.host,
    port: b.port,
    clientId: 't',
    requestTimeoutMs: 5000,
    connectionTimeoutMs: 5000,
  });
  try {
    await conn.connect();
    for (const timeoutMs of [2 ** 31, 2 ** 40, Number.POSITIVE_INFINITY]) {
      const res = await conn.request(Metadata, { topics: [] }, { timeoutMs });
      assert.equal(res.brokers[0]?.nodeId, 1, `timeoutMs ${timeoutMs}`);
    }
    for (const timeoutMs of [-1, Number.NaN]) {
      await assert.rejects(
        conn.request(Metadata, { topics: [] }, { timeoutMs }),
        (err: unknown) => err instanceof ConfigError && err.option === 'timeoutMs',
      );
    }
    assert.ok(!conn.isClosed);
  } finally {
    conn.close();
  }
});

test('sleep(2^31 ms) sleeps (until aborted) rather than returning after 1 ms', async () => {
  const ac = new AbortController();
  let woke = false;
  const slept = sleep(2 ** 31, ac.signal).then(() => {
    woke = true;
  });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(woke, false);
  ac.abort();
  await assert.rejects(slept, AbortedError);
});

test('checkTimeout and timerDelay', () => {
  assert.equal(checkTimeout('t', 0), 0);
  assert.equal(checkTimeout('t', MAX_TIMEOUT_MS), MAX_TIMEOUT_MS);
  assert.throws(() => checkTimeout('t', MAX_TIMEOUT_MS + 1), /Invalid option "t": must be <= 2147483647/);
  assert.throws(() => checkTimeout('t', -5), /must be >= 0, got -5/);
  assert.throws(() => checkTimeout('t', '10'), /expected a number of milliseconds, got "10"/);
  assert.equal(timerDelay(2 ** 40), MAX_TIMEOUT_MS);
  assert.equal(timerDelay(Number.POSITIVE_INFINITY), MAX_TIMEOUT_MS);
  assert.equal(timerDelay(-3), 0);
  assert.equal(timerDelay(Number.NaN), 0);
  assert.equal(timerDelay(1500), 1500);
});
