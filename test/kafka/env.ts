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

/**
 * Set to `1` by `npm test` for every test process (and by tests that start the CLIs): nothing may be
 * downloaded, installed or compiled from then on. The set-up installs what the selected test files
 * declare (tools/test-needs.mjs) before any test starts; installers check this and refuse, so that a
 * test can never again build a native peer from source on the cores the other tests are timed on.
 */
export const NO_INSTALL_ENV = 'SLUICE_NO_INSTALL';

export function installsForbidden(): boolean {
  return process.env[NO_INSTALL_ENV] === '1';
}
