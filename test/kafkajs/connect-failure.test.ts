// A producer or admin that cannot reach a broker fails connect() as KafkaJS does (after its retries,
// with KafkaJSNumberOfRetriesExceeded) and leaves nothing open: the process can exit.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const facade = fileURLToPath(new URL('../../src/kafkajs/index.ts', import.meta.url));

test('connect() to no broker: KafkaJSNumberOfRetriesExceeded, within the retry budget, nothing left open', () => {
  const script = `
    import { Kafka, KafkaJSError, logLevel } from ${JSON.stringify(facade)};
    const kafka = new Kafka({
      brokers: ['127.0.0.1:1'],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 200,
      retry: { retries: 1, initialRetryTime: 50, maxRetryTime: 100 },
    });
    const out = [];
    for (const client of [kafka.producer(), kafka.admin()]) {
      const t0 = Date.now();
      const e = await client.connect().then(() => null, (err) => err);
      out.push({ name: e?.name, kafkajs: e instanceof KafkaJSError, ms: Date.now() - t0 });
    }
    console.log(JSON.stringify(out));
  `;
  const started = Date.now();
  // The child must exit by itself: a socket or timer left behind would keep it alive until the kill.
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 45_000,
  });
  assert.equal(r.signal, null, `the process did not exit on its own (${Date.now() - started} ms): ${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  const results = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Array<{
    name: string;
    kafkajs: boolean;
    ms: number;
  }>;
  for (const x of results) {
    assert.equal(x.name, 'KafkaJSNumberOfRetriesExceeded');
    assert.equal(x.kafkajs, true);
    // The retry budget here is about 1 s; 20 s only catches a connect that waits for Sluice's 60 s default.
    assert.ok(x.ms < 20_000, `connect took ${x.ms} ms`);
  }
});
