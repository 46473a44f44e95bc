// Must-show (issue 16): a member kill -9'd while holding records: they come back after the lock
// timeout, the other members process them, nothing is lost.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { testEnv } from '../helpers/env.js';
import { uniqueName, waitFor } from '../kafka/index.js';
import { shareGroupConfig, shareMember, text } from './helpers.js';

const env = testEnv();
const LOCK_MS = 3000;
const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'share-holder.ts');

test('kill -9 of a member holding records: they return after the lock timeout and the others process them', {
  timeout: 120000,
}, async () => {
  const topic = uniqueName('share-kill');
  const groupId = uniqueName('sg-kill');
  await env.producer.createTopic(topic, 1);
  await env.producer.fill(topic, 1, 200, 'k');
  await shareGroupConfig(env.kafka.bootstrap, groupId, { 'share.record.lock.duration.ms': LOCK_MS });

  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      fixture,
      JSON.stringify({ bootstrap: env.kafka.bootstrap, groupId, topic, maxPollRecords: 50 }),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise((r) => child.once('exit', r));
  let held: { offsets: number[]; t: number } | undefined;
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    for (const line of out.split('\n')) if (line.startsWith('{"ev":"held"')) held ??= JSON.parse(line);
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    stderr = (stderr + c).slice(-4000);
  });
  try {
    await waitFor(() => held, { timeoutMs: 60000, what: `the child holds records (stderr: ${stderr})` });
  } finally {
    child.kill('SIGKILL');
  }
  await exited;
  const killedAt = Date.now();
  assert.equal(held!.offsets.length, 50);

  const survivors = [
    shareMember(env.kafka.bootstrap, groupId, topic),
    shareMember(env.kafka.bootstrap, groupId, topic),
  ];
  const seen = () => survivors.flatMap((m) => m.seen);
  try {
    await waitFor(() => new Set(seen().map(text)).size >= 200 || undefined, {
      timeoutMs: 60000,
      what: 'the survivors process all 200',
    });
  } finally {
    await Promise.all(survivors.map((m) => m.consumer.close()));
  }
  const heldSet = new Set(held!.offsets);
  const back = seen().filter((r) => heldSet.has(r.offset));
  assert.equal(back.length, 50, 'each held record processed once by the survivors');
  assert.ok(
    back.every((r) => r.deliveryCount === 2),
    'delivered a second time',
  );
  const firstBack = Math.min(
    ...survivors.flatMap((m) => (m.seen.some((r) => heldSet.has(r.offset)) ? [m.firstHeldAt(heldSet)] : [])),
  );
  console.log(
    `held records came back ${firstBack - held!.t} ms after the child acquired them (lock ${LOCK_MS} ms), ${firstBack - killedAt} ms after the kill`,
  );
  assert.ok(firstBack - held!.t >= LOCK_MS - 500, 'not before their lock expired');
  const values = seen().map(text);
  assert.equal(values.length, 200, 'nothing delivered to the survivors twice');
  assert.equal(new Set(values).size, 200, 'nothing lost');
  assert.ok(survivors.every((m) => m.acks.every((r) => r.error === null)));
});
