// Each command run as a subprocess against the real broker, its output and exit code checked.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { testEnv } from '../helpers/env.js';
import { uniqueName } from '../kafka/index.js';
import { runCli } from './run-cli.js';

const env = testEnv();
const b = () => ['-b', env.kafka.bootstrap];
const lines = (buf: Buffer) => buf.toString().split('\n').filter(Boolean);

async function topicWith(partitions: number, perPartition: number) {
  const topic = uniqueName('cli');
  await env.producer.createTopic(topic, partitions);
  for (let p = 0; p < partitions; p++) {
    await env.producer.send(
      topic,
      p,
      Array.from({ length: perPartition }, (_, i) => ({
        key: `k${p}-${i}`,
        value: `v${p}-${i}`,
        headers: { h: `${i}` },
      })),
    );
  }
  return topic;
}

test('consume -f: kcat format tokens, -o beginning, -e exits at the end of every partition', async () => {
  const topic = await topicWith(2, 3);
  const r = await runCli(['consume', ...b(), '-t', topic, '-o', 'beginning', '-e', '-f', '%t|%p|%o|%k|%s|%h|%K|%S\\n']);
  assert.equal(r.code, 0, r.stderr);
  const got = lines(r.stdout).sort();
  const want: string[] = [];
  for (let p = 0; p < 2; p++)
    for (let i = 0; i < 3; i++) want.push(`${topic}|${p}|${i}|k${p}-${i}|v${p}-${i}|h=${i}|4|4`);
  assert.deepEqual(got, want.sort());
  assert.match(r.stderr, new RegExp(`% Reached end of topic ${topic} \\[0\\] at offset 3`));
  assert.match(r.stderr, /at offset 3: exiting\n$/);
  // %T is the record's timestamp in ms: close to now.
  const ts = await runCli(['consume', ...b(), '-t', topic, '-p', '0', '-o', '0', '-c', '1', '-f', '%T']);
  assert.equal(ts.code, 0, ts.stderr);
  assert.ok(Math.abs(Number(ts.stdout.toString()) - Date.now()) < 10 * 60_000, ts.stdout.toString());
});

test('consume -o -N reads the last N of each partition; -c stops after N records; -e on an empty partition', async () => {
  const topic = await topicWith(2, 5);
  const r = await runCli(['consume', ...b(), '-t', topic, '-o', '-2', '-e', '-q', '-f', '%p:%o\\n']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(r.stdout).sort(), ['0:3', '0:4', '1:3', '1:4']);
  assert.equal(r.stderr, ''); // -q

  const c = await runCli(['consume', ...b(), '-t', topic, '-p', '1', '-o', 'beginning', '-c', '3', '-f', '%o\\n']);
  assert.equal(c.code, 0, c.stderr);
  assert.deepEqual(lines(c.stdout), ['0', '1', '2']);

  // More than the partition holds: from its start. -o end with -e: nothing, at once.
  const all = await runCli(['consume', ...b(), '-t', topic, '-p', '0', '-o', '-100', '-e', '-q', '-f', '%o\\n']);
  assert.deepEqual(lines(all.stdout), ['0', '1', '2', '3', '4']);
  const none = await runCli(['consume', ...b(), '-t', topic, '-o', 'end', '-e']);
  assert.equal(none.code, 0, none.stderr);
  assert.equal(none.stdout.length, 0);
  assert.match(none.stderr, /\[1\] at offset 5/);
});

test('consume -e ends a partition whose last offset is a transaction marker', async () => {
  const { Producer } = await import('../../src/producer/producer.js');
  const topic = uniqueName('cli-txn');
  await env.producer.createTopic(topic, 1);
  const producer = new Producer({ brokers: env.kafka.bootstrap, transactionalId: uniqueName('cli-tx') });
  try {
    await producer.initTransactions();
    await producer.beginTransaction();
    await producer.send({
      topic,
      messages: [
        { value: 'a', partition: 0 },
        { value: 'b', partition: 0 },
      ],
    });
    await producer.commitTransaction();
  } finally {
    await producer.close();
  }
  // Offsets 0 and 1 hold the records, 2 the commit marker: the end (3) is never a record's offset + 1.
  const r = await runCli(['consume', ...b(), '-t', topic, '-o', 'beginning', '-e', '-f', '%o %s\\n'], {
    timeoutMs: 30_000,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(r.stdout), ['0 a', '1 b']);
  assert.match(r.stderr, /\[0\] at offset 3: exiting/);
});

test('consume -o @timestamp starts at the first record at or after that time', async () => {
  const topic = uniqueName('cli-ts');
  await env.producer.createTopic(topic, 1);
  await env.producer.send(topic, 0, [{ value: 'old-0' }, { value: 'old-1' }]);
  await new Promise((r) => setTimeout(r, 50));
  const middle = Date.now();
  await new Promise((r) => setTimeout(r, 50));
  await env.producer.send(topic, 0, [{ value: 'new-2' }, { value: 'new-3' }]);
  const r = await runCli(['consume', ...b(), '-t', topic, '-o', `@${middle}`, '-e', '-q', '-f', '%o %s\\n']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(r.stdout), ['2 new-2', '3 new-3']);
  // A time after every record: nothing (the end), and -e still exits.
  const late = await runCli(['consume', ...b(), '-t', topic, '-o', `@${Date.now() + 3_600_000}`, '-e', '-q']);
  assert.equal(late.code, 0, late.stderr);
  assert.equal(late.stdout.length, 0);
});

test('produce → consume round trip: keys (-K), headers (-H), a partition (-p), compression (-z), JSON out', async () => {
  const topic = uniqueName('cli-rt');
  const created = await runCli(['topics', 'create', topic, '--partitions', '3', ...b()]);
  assert.equal(created.code, 0, created.stderr);
  const input = 'user-1:{"n":1}\nuser-2:{"n":2}\nno-key-line\n:empty key\n';
  const p = await runCli(
    ['produce', ...b(), '-t', topic, '-K', ':', '-H', 'src=cli', '-H', 'run=7', '-p', '2', '-z', 'zstd'],
    {
      input,
    },
  );
  assert.equal(p.code, 0, p.stderr);
  const c = await runCli([
    'consume',
    ...b(),
    '-t',
    topic,
    '-o',
    'beginning',
    '-e',
    '-q',
    '-J',
    '--value-decoder',
    'json',
  ]);
  assert.equal(c.code, 0, c.stderr);
  const got = lines(c.stdout).map((l) => JSON.parse(l));
  assert.deepEqual(
    got.map((r) => [r.partition, r.offset, r.key, r.payload, r.headers]),
    [
      [2, 0, 'user-1', { n: 1 }, ['src', 'cli', 'run', '7']],
      [2, 1, 'user-2', { n: 2 }, ['src', 'cli', 'run', '7']],
      [2, 2, null, 'no-key-line', ['src', 'cli', 'run', '7']],
      [2, 3, '', 'empty key', ['src', 'cli', 'run', '7']],
    ],
  );
  // From a file, split by another delimiter, keys hashed to partitions.
  const { writeFileSync, mkdtempSync, rmSync } = await import('node:fs');
  const dir = mkdtempSync(`${(await import('node:os')).tmpdir()}/sluice-cli-`);
  try {
    writeFileSync(`${dir}/in.txt`, 'a=1;b=2;c=3');
    const f = await runCli(['produce', ...b(), '-t', topic, '-l', `${dir}/in.txt`, '-D', ';', '-K', '=']);
    assert.equal(f.code, 0, f.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const all = await runCli(['consume', ...b(), '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%k=%s\\n']);
  assert.deepEqual(
    lines(all.stdout)
      .filter((l) => /^[abc]=/.test(l))
      .sort(),
    ['a=1', 'b=2', 'c=3'],
  );
});

test('topics: create, list, describe, delete', async () => {
  const topic = uniqueName('cli-topics');
  const c = await runCli([
    'topics',
    'create',
    topic,
    '--partitions',
    '2',
    '--topic-config',
    'retention.ms=3600000',
    ...b(),
  ]);
  assert.equal(c.code, 0, c.stderr);
  const again = await runCli(['topics', 'create', topic, ...b()]);
  assert.equal(again.code, ExitCode.FAILURE);
  assert.match(again.stderr, /^sluice: .*TOPIC_ALREADY_EXISTS/);
  assert.equal((await runCli(['topics', 'create', topic, '--if-not-exists', ...b()])).code, 0);
  const list = await runCli(['topics', 'list', ...b()]);
  assert.ok(lines(list.stdout).includes(topic));
  const d = await runCli(['topics', 'describe', topic, '-J', ...b()]);
  const [desc] = JSON.parse(d.stdout.toString());
  assert.equal(desc.topic, topic);
  assert.equal(desc.partitions.length, 2);
  const text = await runCli(['topics', 'describe', topic, ...b()]);
  assert.match(text.stdout.toString(), /with 2 partitions:\n {2}partition 0, leader \d+/);
  assert.equal((await runCli(['topics', 'delete', topic, ...b()])).code, 0);
  const gone = await runCli(['topics', 'describe', topic, ...b()]);
  assert.equal(gone.code, ExitCode.NOT_FOUND, gone.stderr);
});

test('groups: consume with -g commits; describe, reset (dry run by default, then --execute), list, delete', async () => {
  const topic = await topicWith(2, 4);
  const group = uniqueName('cli-g');
  const first = await runCli([
    'consume',
    ...b(),
    '-t',
    topic,
    '-g',
    group,
    '-o',
    'beginning',
    '-e',
    '-q',
    '-f',
    '%s\\n',
  ]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(lines(first.stdout).length, 8);

  const d = await runCli(['groups', 'describe', group, ...b()]);
  assert.equal(d.code, 0, d.stderr);
  assert.match(d.stdout.toString(), new RegExp(`${topic}\\t0\\t4\\t4\\t0`));

  const dry = await runCli(['groups', 'reset', group, '-t', topic, '--to-offset', '1', ...b()]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(dry.stdout.toString(), `TOPIC\tPARTITION\tCURRENT\tNEW\n${topic}\t0\t4\t1\n${topic}\t1\t4\t1\n`);
  assert.match(dry.stderr, /Dry run/);
  // Nothing changed: the group resumes at the end.
  const after = await runCli(['consume', ...b(), '-t', topic, '-g', group, '-e', '-q']);
  assert.equal(after.stdout.length, 0);

  const exec = await runCli(['groups', 'reset', group, '-t', `${topic}:1`, '--to-offset', '1', '--execute', ...b()]);
  assert.equal(exec.code, 0, exec.stderr);
  const resumed = await runCli(['consume', ...b(), '-t', topic, '-g', group, '-e', '-q', '-f', '%p:%o\\n']);
  assert.deepEqual(lines(resumed.stdout), ['1:1', '1:2', '1:3']);

  const early = await runCli(['groups', 'reset', group, '--all-topics', '--to-earliest', '--execute', '-J', ...b()]);
  assert.equal(early.code, 0, early.stderr);
  assert.deepEqual(
    JSON.parse(early.stdout.toString()).partitions.map((p: { next: number }) => p.next),
    [0, 0],
  );

  const list = await runCli(['groups', 'list', ...b()]);
  assert.ok(
    lines(list.stdout).some((l) => l.startsWith(`${group}\tEmpty`)),
    list.stdout.toString(),
  );
  assert.equal((await runCli(['groups', 'delete', group, ...b()])).code, 0);
  const gone = await runCli(['groups', 'describe', group, ...b()]);
  assert.equal(gone.code, ExitCode.NOT_FOUND, gone.stderr);
  const bad = await runCli(['groups', 'reset', group, '-t', topic, ...b()]);
  assert.equal(bad.code, ExitCode.USAGE);
});

test('consume -g -c N commits exactly the N records printed', async () => {
  const topic = await topicWith(1, 50);
  const group = uniqueName('cli-c');
  const first = await runCli([
    'consume',
    ...b(),
    '-t',
    topic,
    '-g',
    group,
    '-o',
    'beginning',
    '-c',
    '2',
    '-f',
    '%o\\n',
  ]);
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual(lines(first.stdout), ['0', '1']);
  const next = await runCli(['consume', ...b(), '-t', topic, '-g', group, '-c', '1', '-e', '-q', '-f', '%o\\n']);
  assert.equal(next.code, 0, next.stderr);
  assert.deepEqual(lines(next.stdout), ['2']);
});

test('errors: one line and its exit code (unreachable broker, unknown topic, bad offset spec, bad format)', async () => {
  const topic = await topicWith(1, 1);
  const cases: Array<[string[], number, RegExp]> = [
    [
      ['consume', '-b', '127.0.0.1:1', '--timeout', '1500', '-t', topic],
      ExitCode.CONNECTION,
      /no broker reachable: 127\.0\.0\.1:1/,
    ],
    [['topics', 'list', '-b', '127.0.0.1:1', '--timeout', '1500'], ExitCode.CONNECTION, /no broker reachable/],
    [['consume', ...b(), '-t', uniqueName('missing'), '-e'], ExitCode.NOT_FOUND, /UNKNOWN_TOPIC_OR_PARTITION/],
    [['consume', ...b(), '-t', topic, '-p', '7', '-e'], ExitCode.NOT_FOUND, /has no partition 7/],
    [['consume', ...b(), '-t', topic, '-o', 'yesterday'], ExitCode.USAGE, /bad offset spec "yesterday"/],
    [['consume', ...b(), '-t', topic, '-f', '%s %z'], ExitCode.USAGE, /bad format string "%s %z"/],
    [['consume', ...b()], ExitCode.USAGE, /required option '-t, --topic/],
    [['consume', '-b', 'nonsense', '-t', topic], ExitCode.USAGE, /malformed broker address/],
    [['produce', ...b(), '-t', topic, '-l', '/nonexistent/records.txt'], ExitCode.USAGE, /cannot read/],
    [['produce', ...b(), '-t', topic, '-H', 'novalue'], ExitCode.USAGE, /-H expects key=value/],
    [['produce', ...b(), '-t', topic, '-p', '9', '--timeout', '3000'], ExitCode.NOT_FOUND, /partition/],
    [['produce', '-b', '127.0.0.1:1', '--timeout', '1500', '-t', topic], ExitCode.CONNECTION, /no broker reachable/],
    [['groups', 'describe', uniqueName('nogroup'), ...b()], ExitCode.NOT_FOUND, /GROUP_ID_NOT_FOUND/],
  ];
  for (const [args, code, re] of cases) {
    const r = await runCli(args, { timeoutMs: 30_000, input: args[0] === 'produce' ? 'one\n' : undefined });
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.stderr, /\n {4}at /, 'no stack trace');
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('SASL over TLS from environment variables, on consume and topics', async (t) => {
  const bootstrap = env.kafka.bootstraps.SASL_SSL;
  const user = env.kafka.users?.[0];
  if (!bootstrap || !user || !env.kafka.tls) return t.skip('the broker has no SASL_SSL listener');
  const topic = await topicWith(1, 2);
  const creds = {
    SLUICE_BROKERS: bootstrap,
    SLUICE_TLS_CA: env.kafka.tls.caFile,
    SLUICE_SASL_MECHANISM: 'scram-sha-256',
    SLUICE_SASL_USERNAME: user.username,
    SLUICE_SASL_PASSWORD: user.password,
  };
  const list = await runCli(['topics', 'list'], { env: creds });
  assert.equal(list.code, 0, list.stderr);
  assert.ok(lines(list.stdout).includes(topic));
  const c = await runCli(['consume', '-t', topic, '-o', 'beginning', '-e', '-q'], { env: creds });
  assert.equal(c.code, 0, c.stderr);
  assert.deepEqual(lines(c.stdout), ['v0-0', 'v0-1']);
  const wrong = await runCli(['topics', 'list', '--timeout', '5000'], {
    env: { ...creds, SLUICE_SASL_PASSWORD: 'nope' },
  });
  assert.equal(wrong.code, ExitCode.CONNECTION, wrong.stderr);
});

test('consume into a pipe whose reader goes away (| head -1) exits 0, quietly', async () => {
  // More output than a pipe holds (~600 KB against 64 KiB), so writes fail once the reader is gone.
  const topic = uniqueName('cli-pipe');
  await env.producer.createTopic(topic, 1);
  await env.producer.fill(topic, 1, 20_000);
  let closed = false;
  const r = await runCli(['consume', ...b(), '-t', topic, '-o', 'beginning', '-f', '%k %s %o %T\\n'], {
    onStart: (child) => {
      child.stdout?.once('data', () => {
        closed = true;
        child.stdout?.destroy();
      });
    },
    timeoutMs: 30_000,
  });
  assert.ok(closed);
  assert.equal(r.signal, null, 'not killed by the test timeout');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
});

test('produce sends lines as they arrive (stdin left open), and SIGINT exits 130', async () => {
  const topic = uniqueName('cli-live');
  await env.producer.createTopic(topic, 1);
  let seen: string[] = [];
  const r = await runCli(['produce', ...b(), '-t', topic], {
    timeoutMs: 60_000,
    onStart: (child) => {
      child.stdin?.write('first\nsecond\n'); // and stdin stays open, as at a terminal
      void (async () => {
        for (let i = 0; i < 40 && seen.length < 2; i++) {
          const c = await runCli(['consume', ...b(), '-t', topic, '-o', 'beginning', '-e', '-q']);
          seen = lines(c.stdout);
          if (seen.length < 2) await new Promise((res) => setTimeout(res, 250));
        }
        child.kill('SIGINT');
      })();
    },
    input: undefined,
    keepStdinOpen: true,
  });
  assert.deepEqual(seen, ['first', 'second']);
  assert.equal(r.signal, null);
  assert.equal(r.code, ExitCode.INTERRUPTED, r.stderr);
});

test('SIGINT while consuming: closes and exits 130', async () => {
  const topic = await topicWith(1, 1);
  let sent = false;
  const r = await runCli(['consume', ...b(), '-t', topic, '-o', 'beginning'], {
    onStart: (child) => {
      child.stdout?.on('data', () => {
        if (sent) return;
        sent = true;
        child.kill('SIGINT');
      });
    },
    timeoutMs: 30_000,
  });
  assert.ok(sent, 'the record was printed');
  assert.equal(r.signal, null);
  assert.equal(r.code, ExitCode.INTERRUPTED, r.stderr);
});
