// Share groups (KIP-932) in the CLI, run as subprocesses against the real broker: consume
// --share-group (-c N accepts exactly N), groups list/describe/reset, lag.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { testEnv } from '../helpers/env.js';
import { sharedKafka, uniqueName, waitFor } from '../kafka/index.js';
import { shareGroupConfig, shareMember } from '../share/helpers.js';
import { runCli } from './run-cli.js';

const env = testEnv();
before(async () => {
  await sharedKafka(); // the broker testEnv uses; named here so the test runner starts it
});
const b = () => ['-b', env.kafka.bootstrap];
const lines = (buf: Buffer) => buf.toString().split('\n').filter(Boolean);

test('share groups in the CLI: consume --share-group -c accepts exactly N, groups list/describe, lag, reset (dry run, then --execute)', {
  timeout: 180_000,
}, async () => {
  const topic = uniqueName('cli-share');
  const group = uniqueName('cli-sg');
  await env.producer.createTopic(topic, 2);
  await env.producer.fill(topic, 2, 20, 'v');
  await shareGroupConfig(env.kafka.bootstrap, group);
  const all = Array.from({ length: 20 }, (_, i) => `v-${i}`);

  const first = await runCli(['consume', ...b(), '-t', topic, '--share-group', group, '-c', '5', '-f', '%s\\n']);
  assert.equal(first.code, 0, first.stderr);
  const got1 = lines(first.stdout);
  assert.equal(got1.length, 5, first.stdout.toString());
  assert.match(first.stderr, /Accepted 5 record\(s\)/);

  const list = await runCli(['groups', 'list', '--type', 'share', ...b()]);
  assert.equal(list.code, 0, list.stderr);
  assert.ok(
    lines(list.stdout).some((l) => l.startsWith(`${group}\t`) && l.endsWith('\tshare')),
    list.stdout.toString(),
  );

  // Only the 5 printed were accepted: 15 remain, whatever the start offsets say.
  const lag = await runCli(['lag', group, '--json', ...b()]);
  assert.equal(lag.code, 0, lag.stderr);
  const report = JSON.parse(lag.stdout.toString());
  assert.equal(report.groups[0].type, 'share');
  assert.equal(report.groups[0].totalLag, 15);
  assert.deepEqual(
    report.groups[0].partitions.map((p: { partition: number; logEndOffset: number }) => [p.partition, p.logEndOffset]),
    [
      [0, 10],
      [1, 10],
    ],
  );

  const describe = await runCli(['groups', 'describe', group, ...b()]);
  assert.equal(describe.code, 0, describe.stderr);
  const text = describe.stdout.toString();
  assert.match(text, new RegExp(`group ${group}: \\w+, share`));
  assert.match(text, /TOPIC\tPARTITION\tSTART\tEND\tLAG\tMEMBERS/);
  assert.match(text, /total lag 15/);

  const second = await runCli(['consume', ...b(), '-t', topic, '--share-group', group, '-c', '15', '-f', '%s\\n']);
  assert.equal(second.code, 0, second.stderr);
  const got2 = lines(second.stdout);
  assert.equal(got2.length, 15);
  assert.deepEqual(
    [...got1, ...got2].sort(),
    [...all].sort(),
    'the two runs split the 20 records: none twice, none lost',
  );

  const table = await runCli(['lag', group, '-n', '2', '-i', '200ms', ...b()]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout.toString(), new RegExp(`Share group ${group} \\(\\w+\\): status OK, total lag 0`));
  assert.match(table.stdout.toString(), /TOPIC\s+PARTITION\s+START\s+END\s+LAG\s+MEMBERS\s+STATUS/);

  // Reset: a plan first, then (group empty) --execute moves the start offsets back to 0.
  const dry = await runCli(['groups', 'reset', group, '--all-topics', '--to-earliest', '-J', ...b()]);
  assert.equal(dry.code, 0, dry.stderr);
  const plan = JSON.parse(dry.stdout.toString());
  assert.equal(plan.type, 'share');
  assert.equal(plan.executed, false);
  assert.deepEqual(
    plan.partitions.map((p: { partition: number; next: number }) => [p.partition, p.next]),
    [
      [0, 0],
      [1, 0],
    ],
  );
  const again = await runCli(['consume', ...b(), '-t', topic, '--share-group', group, '-c', '1', '-f', '%s\\n'], {
    timeoutMs: 8_000,
  });
  assert.notEqual(again.code, 0, 'a dry run changed nothing: no record to take (the run is cut off)');

  // While a member runs, --execute refuses (Kafka would too).
  const member = shareMember(env.kafka.bootstrap, group, topic);
  try {
    await waitFor(
      async () => {
        const r = await runCli(['groups', 'describe', group, '-J', ...b()]);
        return JSON.parse(r.stdout.toString()).members.length === 1 || undefined;
      },
      { timeoutMs: 30_000, what: 'the member in the group' },
    );
    const busy = await runCli(['groups', 'reset', group, '-t', topic, '--to-earliest', '--execute', ...b()]);
    assert.equal(busy.code, ExitCode.FAILURE);
    assert.match(busy.stderr, /active member/);
  } finally {
    await member.consumer.close();
    await member.running;
  }
  await waitFor(
    async () => {
      const r = await runCli(['groups', 'describe', group, '-J', ...b()]);
      return JSON.parse(r.stdout.toString()).members.length === 0 || undefined;
    },
    { timeoutMs: 30_000, what: 'the member gone' },
  );
  const exec = await runCli(['groups', 'reset', group, '-t', topic, '--to-earliest', '--execute', ...b()]);
  assert.equal(exec.code, 0, exec.stderr);
  const replay = await runCli(['consume', ...b(), '-t', topic, '--share-group', group, '-c', '20', '-f', '%s\\n']);
  assert.equal(replay.code, 0, replay.stderr);
  assert.deepEqual(lines(replay.stdout).sort(), [...all].sort(), 'after the reset every record is delivered again');
});

test('consume --share-group: flags without meaning for a share group are usage errors', async () => {
  for (const extra of [['-g', 'x'], ['-p', '0'], ['-o', 'beginning'], ['-e']]) {
    const r = await runCli(['consume', ...b(), '-t', 'any', '--share-group', 'g', ...extra]);
    assert.equal(r.code, ExitCode.USAGE, `${extra.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /--share-group does not go with/);
  }
});
