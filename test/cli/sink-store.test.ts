import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { BrokersUnreachableError, CliUsageError, exitCodeFor } from '../../src/cli/sink-failure.js';
import { storeFromUrl } from '../../src/cli/sink-store.js';
import { ConfigError } from '../../src/errors.js';
import { ConnectionError } from '../../src/network/errors.js';
import { KafkaError } from '../../src/protocol/errors.js';
import { SinkError } from '../../src/sinks/errors.js';

describe('sink --store URLs', () => {
  test('each kind of store', () => {
    assert.equal(storeFromUrl('sqlite:./x.db').description, 'sqlite:./x.db');
    assert.equal(storeFromUrl('sqlite:///tmp/x.db').description, 'sqlite:/tmp/x.db');
    assert.equal(storeFromUrl('sqlite:./x.db', 'upsert').mode, 'upsert');
    assert.match(storeFromUrl('postgres://u:p@localhost:5432/db').description, /^postgres/);
    assert.match(storeFromUrl('postgresql://localhost/db').description, /^postgres/);
    assert.equal(storeFromUrl('jsonl:./out').mode, 'append');
  });

  test('a bad database URL is a SinkError: exit code 5, a message saying what is accepted', () => {
    for (const url of ['mysql://x', 'x.db', '', 'sqlite:', 'jsonl:', 'postgres://[bad']) {
      assert.throws(
        () => storeFromUrl(url),
        (err: unknown) =>
          err instanceof SinkError &&
          err.code === 'SINK_BAD_URL' &&
          /expected sqlite:<file>/.test(err.message) &&
          exitCodeFor(err) === ExitCode.STORE,
        url,
      );
    }
    assert.throws(() => storeFromUrl('jsonl:./out', 'upsert'), /cannot upsert/);
  });

  test('exit codes by kind of failure', () => {
    assert.equal(exitCodeFor(new ConnectionError('CONNECTION_REFUSED', 'refused')), ExitCode.CONNECTION);
    assert.equal(exitCodeFor(new BrokersUnreachableError(['h:1'], 10_000, undefined)), ExitCode.CONNECTION);
    assert.equal(exitCodeFor(new KafkaError(3, { topic: 't' })), ExitCode.NOT_FOUND);
    assert.equal(exitCodeFor(new CliUsageError('bad')), ExitCode.USAGE);
    assert.equal(exitCodeFor(new ConfigError('x', 'bad')), ExitCode.USAGE);
    assert.equal(exitCodeFor(new SinkError('sqlite:x', 'disk full', { code: 'SQLITE_FULL' })), ExitCode.STORE);
    assert.equal(exitCodeFor(new Error('boom')), ExitCode.FAILURE);
  });
});
