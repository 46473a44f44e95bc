// The contract between `npm test` (tools/test.mjs), which starts one broker for the whole suite, and the
// test files, which read it from the environment.
import { HarnessError } from './errors.js';
import type { KafkaInfo } from './types.js';

/** JSON of a KafkaInfo, set by tools/test.mjs for every test file. */
export const SHARED_KAFKA_ENV = 'SLUICE_TEST_KAFKA';

export function readSharedKafkaEnv(): KafkaInfo | undefined {
  const raw = process.env[SHARED_KAFKA_ENV];
  if (!raw) return undefined;
  try {
    const info = JSON.parse(raw) as KafkaInfo;
    if (typeof info.bootstrap !== 'string' || !Array.isArray(info.brokers)) throw new Error('missing fields');
    return info;
  } catch (err) {
    throw new HarnessError(`${SHARED_KAFKA_ENV} is not a valid broker description: ${(err as Error).message}`);
  }
}
