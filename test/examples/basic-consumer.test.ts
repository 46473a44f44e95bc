import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { KafkaError } from '../../src/protocol/errors.js';
import { TestProducer } from '../helpers/produce.js';
import { sharedKafka, uniqueName } from '../kafka/index.js';

/** Runs examples/basic-consumer.ts; `out()`/`err()` are what it printed so far. */
function startExample(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/basic-consumer.ts'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      resolve(code);
    }),
  );
  return { child, exited, out: () => out, err: () => err, exitCode: () => exitCode };
}

test('examples/basic-consumer.ts joins my_group on my_topic and prints "topic: value"', async () => {
  const kafka = await sharedKafka();
  const producer = new TestProducer(kafka.bootstrap);
  try {
    await producer.createTopic('my_topic', 1).catch((err) => {
      if (!(err instanceof KafkaError && err.code === 'TOPIC_ALREADY_EXISTS')) throw err;
    });
    const values = [0, 1, 2].map((i) => `hello-${i}-${randomUUID()}`);
    await producer.send(
      'my_topic',
      0,
      values.map((value) => ({ value })),
    );

    const ex = startExample({ KAFKA_BROKERS: kafka.bootstrap });
    try {
      for (let i = 0; i < 300 && !values.every((v) => ex.out().includes(`my_topic: ${v}`)); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const v of values)
        assert.ok(ex.out().includes(`my_topic: ${v}\n`), `printed ${v}; stdout:\n${ex.out()}\nstderr:\n${ex.err()}`);
    } finally {
      ex.child.kill('SIGTERM');
    }
    assert.equal(await ex.exited, 0, `exits cleanly on SIGTERM; stderr:\n${ex.err()}`);
  } finally {
    producer.close();
  }
});

test('the README sequence: the example started before anything was produced waits for the topic', {
  timeout: 60000,
}, async () => {
  const kafka = await sharedKafka();
  const producer = new TestProducer(kafka.bootstrap);
  const topic = uniqueName('my_topic');
  const ex = startExample({ KAFKA_BROKERS: kafka.bootstrap, KAFKA_TOPIC: topic, KAFKA_GROUP: uniqueName('g') });
  try {
    await new Promise((r) => setTimeout(r, 4000));
    assert.equal(ex.exitCode(), undefined, `still running before the topic exists; stderr:\n${ex.err()}`);
    await producer.createTopic(topic, 1);
    await producer.send(topic, 0, [{ value: 'first' }]);
    for (let i = 0; i < 300 && !ex.out().includes(`${topic}: first`); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(ex.out().includes(`${topic}: first\n`), `printed the record; stdout:\n${ex.out()}\nstderr:\n${ex.err()}`);
    assert.doesNotMatch(ex.err(), /Error|at .*\.ts:\d+/, 'no stack trace');
  } finally {
    ex.child.kill('SIGTERM');
    producer.close();
  }
  assert.equal(await ex.exited, 0);
});
