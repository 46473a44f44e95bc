// Interop defaults with Kafka's Java consumer: its default partition.assignment.strategy ([range,
// cooperative-sticky], classic protocol) and a Sluice consumer with default options share a group, in
// both orders. (test/consumer/java-interop.test.ts covers explicitly chosen, matching assignors.)
import { test } from 'node:test';
import { testEnv } from '../helpers/env.js';
import { defaultsInterop } from './fixtures/defaults-scenario.js';

const env = testEnv('sluice-javainterop-');

for (const first of ['peer', 'sluice'] as const) {
  const who = first === 'peer' ? 'Sluice joins a Java group' : 'Java joins a Sluice group';
  test(`interop defaults: ${who}; both consume, each record once`, { timeout: 90_000 }, async () => {
    console.log(`# ${await defaultsInterop(env, 'java', undefined, first)}`);
  });
}
