import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { KafkaError } from '../../src/protocol/errors.js';
import { TestProducer } from '../helpers/produce.js';
import { sharedKafka } from '../kafka/index.js';

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

    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/basic-consumer.ts'], {
      env: { ...process.env, KAFKA_BROKERS: kafka.bootstrap },
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
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      for (let i = 0; i < 300 && !values.every((v) => out.includes(`my_topic: ${v}`)); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const v of values)
        assert.ok(out.includes(`my_topic: ${v}\n`), `printed ${v}; stdout:\n${out}\nstderr:\n${err}`);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, `exits cleanly on SIGTERM; stderr:\n${err}`);
  } finally {
    producer.close();
  }
});
