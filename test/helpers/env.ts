// The usual set-up of a consumer test file: the suite's broker, a TestProducer on it, and (when
// asked for) a temporary directory, all released after the file's tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { type KafkaInfo, sharedKafka } from '../kafka/index.js';
import { TestProducer } from './produce.js';

export interface TestEnv {
  kafka: KafkaInfo;
  producer: TestProducer;
  /** Empty unless a prefix was given. */
  dir: string;
}

/** Registers before/after hooks; the returned object is filled in by the time tests run. */
export function testEnv(tmpPrefix?: string): TestEnv {
  const env = { dir: '' } as TestEnv;
  before(async () => {
    env.kafka = await sharedKafka();
    env.producer = new TestProducer(env.kafka.bootstrap);
    if (tmpPrefix) env.dir = mkdtempSync(path.join(tmpdir(), tmpPrefix));
  });
  after(() => {
    env.producer?.close();
    if (env.dir) rmSync(env.dir, { recursive: true, force: true });
  });
  return env;
}

/**
 * Runs `consumer` until `until(seen)` holds (or `timeoutMs` passes), then closes it — from outside
 * the handler, so the last record counts as processed and is committed. Returns what it saw.
 */
export async function consumeUntil(
  consumer: import('../../src/consumer/consumer.js').Consumer,
  until: (seen: import('../../src/consumer/record.js').ConsumerRecord[]) => boolean,
  timeoutMs = 30000,
) {
  const seen: import('../../src/consumer/record.js').ConsumerRecord[] = [];
  const timer = setTimeout(() => consumer.close(), timeoutMs);
  try {
    await consumer.run({
      eachMessage: (r) => {
        seen.push(r);
        if (until(seen)) setImmediate(() => consumer.close());
      },
    });
  } finally {
    clearTimeout(timer);
  }
  return seen;
}
