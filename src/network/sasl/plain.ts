import type { SaslMechanism } from './index.js';

/** SASL/PLAIN (RFC 4616): one message, `authzid \0 username \0 password`, with an empty authzid. */
export function plainMechanism(o: { username: string; password: string }): SaslMechanism {
  return {
    first: () => Buffer.from(`\u0000${o.username}\u0000${o.password}`, 'utf8'),
    next: () => undefined,
  };
}
