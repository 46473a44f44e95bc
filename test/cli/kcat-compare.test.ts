// sluice-test-needs: kcat
// `sluice consume -f` against kcat itself: the same format string over the same records must print
// the same bytes (records with and without keys, null values, headers, binary payloads, escapes).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testEnv } from '../helpers/env.js';
import { uniqueName } from '../kafka/index.js';
import { requireKcat } from './kcat.js';
import { runBinary, runCli } from './run-cli.js';

const env = testEnv();

test('sluice consume -f prints what kcat -C -f prints, byte for byte', async () => {
  const kcat = requireKcat();
  const topic = uniqueName('cli-kcat');
  await env.producer.createTopic(topic, 2);
  await env.producer.send(topic, 0, [
    { key: 'k1', value: 'plain value', headers: { a: '1', b: 'two' } },
    { key: null, value: 'no key' },
    { key: 'null-value', value: null },
    { key: 'ütf-8 ✓', value: 'tab\there', headers: { x: '' } },
  ]);
  await env.producer.send(topic, 1, [{ key: 'p1', value: 'on partition one' }, { value: '' }]);

  const formats = [
    '%t %p %o %k %s %h %T\\n',
    'Topic %t [%p] at offset %o: key %k (%K bytes), value %s (%S bytes), headers %h, ts %T\\n',
    '%s\\n',
    '%k\\t%s\\r\\n',
    '%%literal%% \\x41\\66 %o\\n',
  ];
  for (const fmt of formats) {
    for (const partition of ['0', '1']) {
      const args = ['-t', topic, '-p', partition, '-o', 'beginning', '-e', '-f', fmt];
      const ours = await runCli(['consume', '-b', env.kafka.bootstrap, '-q', ...args]);
      const theirs = await runBinary(kcat.bin, ['-b', env.kafka.bootstrap, '-C', '-q', ...args], { timeoutMs: 60_000 });
      assert.equal(theirs.code, 0, `kcat ${fmt}: ${theirs.stderr}`);
      assert.equal(ours.code, 0, `sluice ${fmt}: ${ours.stderr}`);
      assert.ok(theirs.stdout.length > 0);
      assert.deepEqual(
        ours.stdout.toString('latin1'),
        theirs.stdout.toString('latin1'),
        `format ${fmt}, partition ${partition}`,
      );
    }
  }
  // And the same -o -N, without -p (every partition; order between partitions may differ).
  const sorted = (b: Buffer) => b.toString('latin1').split('\n').sort().join('\n');
  const fmt = '%p %o %k %s\\n';
  const ours = await runCli(['consume', '-b', env.kafka.bootstrap, '-q', '-t', topic, '-o', '-2', '-e', '-f', fmt]);
  const theirs = await runBinary(kcat.bin, [
    '-b',
    env.kafka.bootstrap,
    '-C',
    '-q',
    '-t',
    topic,
    '-o',
    '-2',
    '-e',
    '-f',
    fmt,
  ]);
  assert.equal(ours.code, 0, ours.stderr);
  assert.equal(sorted(ours.stdout), sorted(theirs.stdout));
});
