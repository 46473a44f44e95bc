import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Command } from 'commander';
import { applyConfigFile, clientOptions, withConnectionOptions } from '../../src/cli/connection.js';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { CliError, exitCodeOf } from '../../src/cli/fail.js';
import { compileFormat, unescapeKcat } from '../../src/cli/format.js';
import { parseOffsetSpec } from '../../src/cli/offset-spec.js';
import type { ConsumerRecord } from '../../src/consumer/record.js';
import { ConfigError } from '../../src/errors.js';
import { ConnectionError } from '../../src/network/errors.js';
import { kafkaError } from '../../src/protocol/errors.js';

const rec = (over: Partial<ConsumerRecord> = {}): ConsumerRecord => ({
  topic: 'orders',
  partition: 3,
  offset: 42,
  timestamp: 1700000000123,
  key: Buffer.from('k1'),
  value: Buffer.from('v1'),
  headers: [
    { key: 'a', value: Buffer.from('1') },
    { key: 'b', value: null },
  ],
  leaderEpoch: 0,
  ...over,
});

test('format: every kcat token, escapes and %%', () => {
  const f = compileFormat('%t|%p|%o|%k|%K|%s|%S|%T|%h|%%\\t\\n');
  assert.equal(f(rec()).toString(), 'orders|3|42|k1|2|v1|2|1700000000123|a=1,b=|%\t\n');
  // Null key and value print nothing; their lengths are -1 (kcat without -Z).
  assert.equal(
    compileFormat('[%k][%s] %K %S')
      .call(null, rec({ key: null, value: null }))
      .toString(),
    '[][] -1 -1',
  );
  // Bytes pass through untouched.
  const bin = Buffer.from([0, 255, 10]);
  assert.deepEqual(compileFormat('%s').call(null, rec({ value: bin })), bin);
  assert.deepEqual(unescapeKcat('\\x41\\66\\q\\r'), Buffer.from('ABq\r'));
});

test('format: unknown or trailing % is a usage error naming it', () => {
  for (const [fmt, re] of [
    ['%x', /unsupported formatter %x/],
    ['value %', /empty formatter/],
  ] as const) {
    assert.throws(
      () => compileFormat(fmt),
      (e: unknown) => e instanceof CliError && e.exitCode === ExitCode.USAGE && re.test(e.message),
    );
  }
});

test('offset specs: kcat forms, and a clear error for anything else', () => {
  assert.deepEqual(parseOffsetSpec('beginning'), { kind: 'beginning' });
  assert.deepEqual(parseOffsetSpec('end'), { kind: 'end' });
  assert.deepEqual(parseOffsetSpec('stored'), { kind: 'stored' });
  assert.deepEqual(parseOffsetSpec('17'), { kind: 'absolute', offset: 17 });
  assert.deepEqual(parseOffsetSpec('-5'), { kind: 'tail', count: 5 });
  assert.deepEqual(parseOffsetSpec('@1700000000000'), { kind: 'timestamp', timestamp: 1700000000000 });
  assert.deepEqual(parseOffsetSpec('s@1700000000000'), { kind: 'timestamp', timestamp: 1700000000000 });
  assert.deepEqual(parseOffsetSpec('@2023-11-14T22:13:20Z'), { kind: 'timestamp', timestamp: 1700000000000 });
  for (const bad of ['', 'start', '1.5', '--3', '@', '@yesterday', 'e@5']) {
    assert.throws(
      () => parseOffsetSpec(bad),
      (e: unknown) => e instanceof CliError && e.exitCode === ExitCode.USAGE && /bad offset spec/.test(e.message),
      bad,
    );
  }
});

test('exit codes: by kind of failure, through the cause chain', () => {
  assert.equal(exitCodeOf(new ConfigError('brokers', 'bad')), ExitCode.USAGE);
  assert.equal(exitCodeOf(kafkaError(3, { topic: 't' })), ExitCode.NOT_FOUND);
  assert.equal(exitCodeOf(kafkaError(69, {})), ExitCode.NOT_FOUND);
  assert.equal(exitCodeOf(new ConnectionError('CONNECTION_REFUSED', 'refused')), ExitCode.CONNECTION);
  const timeout = Object.assign(new Error('timed out', { cause: kafkaError(3, { topic: 't' }) }), { code: 'TIMEOUT' });
  assert.equal(exitCodeOf(timeout), ExitCode.NOT_FOUND);
  assert.equal(exitCodeOf(new Error('boom')), ExitCode.FAILURE);
});

test('options: flag > environment > config file > default', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sluice-cli-'));
  const saved = { ...process.env };
  try {
    const file = path.join(dir, 'sluice.json');
    writeFileSync(
      file,
      JSON.stringify({
        brokers: 'file:1',
        'client-id': 'from-file',
        saslMechanism: 'scram-sha-512',
        saslUsername: 'u',
      }),
    );
    const parse = (argv: string[], env: Record<string, string>) => {
      for (const k of Object.keys(process.env)) if (k.startsWith('SLUICE_')) delete process.env[k];
      Object.assign(process.env, env);
      const cmd = withConnectionOptions(new Command('x').exitOverride()).action(() => {});
      cmd.parse(argv, { from: 'user' });
      applyConfigFile(cmd);
      return cmd.opts();
    };
    const env = { SLUICE_CONFIG: file, SLUICE_BROKERS: 'env:2', SLUICE_SASL_PASSWORD: 'p' };
    assert.equal(parse([], env).brokers, 'env:2');
    assert.equal(parse(['-b', 'flag:3'], env).brokers, 'flag:3');
    assert.equal(parse([], { SLUICE_CONFIG: file }).brokers, 'file:1');
    const o = parse([], env);
    assert.equal(o.clientId, 'from-file');
    const c = clientOptions(o);
    assert.deepEqual(c.sasl, { mechanism: 'SCRAM-SHA-512', username: 'u', password: 'p' });
    assert.equal(clientOptions(parse([], {})).brokers, 'localhost:9092');
    // A typo in the file is reported, not ignored.
    writeFileSync(file, JSON.stringify({ brokerz: 'x' }));
    assert.throws(() => parse([], { SLUICE_CONFIG: file }), /unknown option "brokerz"/);
    assert.throws(() => clientOptions({ saslMechanism: 'plain', saslUsername: 'u' }), /needs --sasl-password/);
    assert.equal(clientOptions({ timeout: '15s' }).defaultApiTimeoutMs, 15_000);
    assert.equal(clientOptions({ timeout: '250' }).defaultApiTimeoutMs, 250);
    assert.equal(clientOptions({ timeout: '2m' }).defaultApiTimeoutMs, 120_000);
    for (const bad of ['0', '-1', '1.5s', 'soon', '99999999m'])
      assert.throws(() => clientOptions({ timeout: bad }), /--timeout must be a duration/, bad);
  } finally {
    for (const k of Object.keys(process.env)) if (k.startsWith('SLUICE_')) delete process.env[k];
    Object.assign(process.env, saved);
    rmSync(dir, { recursive: true, force: true });
  }
});
