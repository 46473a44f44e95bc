// One broker for the whole suite: `npm test` starts it and passes its description to every test file in
// SLUICE_TEST_KAFKA. A test file run on its own (no such variable) starts its own broker the first time
// it asks, and removes it when the process exits.
import { readSharedKafkaEnv } from './env.js';
import { startKafka } from './kafka.js';
import type { KafkaInfo, ListenerName } from './types.js';

/** The shared broker has every listener, so TLS and SASL tests can use it. */
export const SHARED_LISTENERS: ListenerName[] = ['PLAINTEXT', 'SASL_PLAINTEXT', 'SSL', 'SASL_SSL'];

let own: Promise<KafkaInfo> | undefined;

/**
 * The suite's broker. Tests must treat it as shared: unique topic and group names (uniqueName), no
 * broker-wide config changes, never stop it. Tests that need to kill brokers start their own cluster.
 */
export function sharedKafka(): Promise<KafkaInfo> {
  const fromEnv = readSharedKafkaEnv();
  if (fromEnv) return Promise.resolve(fromEnv);
  own ??= startKafka({ listeners: SHARED_LISTENERS }).then((cluster) => {
    // The watchdog would clean up anyway when this process exits; closing here just makes it orderly.
    process.once('beforeExit', () => void cluster.close());
    return cluster.info();
  });
  return own;
}

let counter = 0;

/** A topic/group name no other test (or earlier run against the same broker) uses. */
export function uniqueName(prefix = 't'): string {
  const clean = prefix.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 100);
  const rand = Math.floor(Math.random() * 0x10000).toString(16);
  return `${clean}-${process.pid}-${Date.now().toString(36)}-${counter++}-${rand}`;
}
