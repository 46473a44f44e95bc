import { kafkaError } from '../../protocol/errors.js';
import { SaslAuthenticate } from '../../protocol/generated/sasl-authenticate.js';
import { SaslHandshake } from '../../protocol/generated/sasl-handshake.js';
import type { Connection } from '../connection.js';
import { AuthenticationError } from '../errors.js';
import { type OAuthBearerOptions, oauthBearerMechanism } from './oauthbearer.js';
import { plainMechanism } from './plain.js';
import { scramMechanism } from './scram.js';

const UNSUPPORTED_SASL_MECHANISM = 33;
const ILLEGAL_SASL_STATE = 34;

export interface PlainOptions {
  mechanism: 'PLAIN';
  username: string;
  password: string;
}

export interface ScramOptions {
  mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
  username: string;
  password: string;
}

export type SaslOptions = PlainOptions | ScramOptions | OAuthBearerOptions;

export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const;

/**
 * One SASL mechanism as a conversation: `first()` gives the client's opening message, and each
 * server challenge gets a reply from `next()`, or `undefined` when the exchange is complete.
 * A mechanism throws {@link AuthenticationError} when the server's answer does not check out.
 */
export interface SaslMechanism {
  first(): Promise<Buffer> | Buffer;
  next(challenge: Buffer): Promise<Buffer | undefined> | Buffer | undefined;
}

function mechanismFor(options: SaslOptions): SaslMechanism {
  switch (options.mechanism) {
    case 'PLAIN':
      return plainMechanism(options);
    case 'SCRAM-SHA-256':
    case 'SCRAM-SHA-512':
      return scramMechanism(options);
    case 'OAUTHBEARER':
      return oauthBearerMechanism(options);
  }
}

/**
 * SaslHandshake (v1) to pick the mechanism, then SaslAuthenticate frames until the mechanism is
 * done. Wrong credentials surface as {@link AuthenticationError} with the broker's message; the
 * connection is then closed by the broker, and callers must not retry with the same credentials.
 */
export async function authenticate(conn: Connection, options: SaslOptions, _host: string): Promise<void> {
  const ctx = { broker: conn.broker };
  const hs = await conn.request(SaslHandshake, { mechanism: options.mechanism });
  if (hs.errorCode === UNSUPPORTED_SASL_MECHANISM) {
    throw new AuthenticationError(
      `Broker does not enable SASL mechanism ${options.mechanism} (enabled: ${hs.mechanisms.join(', ') || 'none'})`,
      ctx,
    );
  }
  if (hs.errorCode === ILLEGAL_SASL_STATE) {
    throw new AuthenticationError('Broker listener does not expect SASL (is this a SASL port?)', ctx);
  }
  if (hs.errorCode !== 0) throw kafkaError(hs.errorCode, { api: 'SaslHandshake', broker: conn.broker });

  const mechanism = mechanismFor(options);
  let message: Buffer | undefined = await mechanism.first();
  // Bounded: every mechanism we support completes in at most three round trips.
  for (let round = 0; message !== undefined && round < 5; round++) {
    const res = await conn.request(SaslAuthenticate, { authBytes: message });
    if (res.errorCode !== 0) {
      throw new AuthenticationError(
        `SASL ${options.mechanism} authentication failed: ${res.errorMessage ?? `error code ${res.errorCode}`}`,
        ctx,
      );
    }
    message = await mechanism.next(res.authBytes);
  }
  if (message !== undefined) throw new AuthenticationError(`SASL ${options.mechanism} exchange did not finish`, ctx);
}
