import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { AuthenticationError } from '../errors.js';
import type { SaslMechanism } from './index.js';

const pbkdf2Async = promisify(pbkdf2);

/**
 * Kafka stores SCRAM credentials only with 4096 to 16384 iterations (ScramMechanism's minIterations
 * and maxIterations; `kafka-configs`, `kafka-storage` and the controller's ScramControlManager, which
 * answers AlterUserScramCredentials with UNACCEPTABLE_CREDENTIAL, refuse others; Redpanda caps at
 * 16384 too), so a broker never asks for a count outside that range. Fewer would be a downgrade (Java's
 * ScramSaslClient and franz-go refuse fewer than 4096 too); more would let a hostile or broken server
 * keep a thread busy for as long as it likes (i = 20,000,000 took 16 s). Java and franz-go set no
 * maximum, librdkafka refuses more than 1,000,000; 16384 is stricter than both, and still every count
 * a broker can hold. PBKDF2 runs on libuv's thread pool (async), so the event loop never waits on it;
 * the cap bounds it to about 6 ms.
 */
const MIN_ITERATIONS = 4096;
const MAX_ITERATIONS = 16384;

/** RFC 5802 §5.1: ',' and '=' in a user name are escaped as '=2C' and '=3D'. */
function saslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

function parseAttributes(msg: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of msg.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return out;
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/**
 * SCRAM-SHA-256 / SCRAM-SHA-512 (RFC 5802, RFC 7677, KIP-84): client-first, server-first
 * (nonce, salt, iterations), client-final with the proof, then the server's signature, which we
 * verify so that a server that does not know the password cannot pass as the broker.
 */
export function scramMechanism(
  o: { mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; username: string; password: string },
  /** Fixed client nonce, for RFC test vectors only. */
  nonceForTest?: string,
): SaslMechanism {
  const digest = o.mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
  const keyLength = digest === 'sha256' ? 32 : 64;
  const clientNonce = nonceForTest ?? randomBytes(24).toString('base64url');
  const clientFirstBare = `n=${saslName(o.username)},r=${clientNonce}`;
  const hmac = (key: Buffer, data: string | Buffer) => createHmac(digest, key).update(data).digest();
  let step = 0;
  let serverSignature: Buffer | undefined;

  return {
    first: () => Buffer.from(`n,,${clientFirstBare}`, 'utf8'),
    async next(challenge) {
      const text = challenge.toString('utf8');
      if (step++ === 0) {
        const attrs = parseAttributes(text);
        const nonce = attrs.get('r');
        const salt = attrs.get('s');
        const iterations = Number(attrs.get('i'));
        if (!nonce?.startsWith(clientNonce) || !salt || !Number.isInteger(iterations)) {
          throw new AuthenticationError(`SCRAM: malformed server-first message "${text}"`);
        }
        if (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
          throw new AuthenticationError(
            `SCRAM: server asked for ${iterations} iterations; Kafka uses ${MIN_ITERATIONS} to ${MAX_ITERATIONS}`,
          );
        }
        const salted = await pbkdf2Async(o.password, Buffer.from(salt, 'base64'), iterations, keyLength, digest);
        const clientKey = hmac(salted, 'Client Key');
        const storedKey = createHash(digest).update(clientKey).digest();
        const clientFinalNoProof = `c=biws,r=${nonce}`;
        const authMessage = `${clientFirstBare},${text},${clientFinalNoProof}`;
        const proof = xor(clientKey, hmac(storedKey, authMessage));
        serverSignature = hmac(hmac(salted, 'Server Key'), authMessage);
        return Buffer.from(`${clientFinalNoProof},p=${proof.toString('base64')}`, 'utf8');
      }
      const attrs = parseAttributes(text);
      const err = attrs.get('e');
      if (err) throw new AuthenticationError(`SCRAM: server rejected the proof: ${err}`);
      const v = Buffer.from(attrs.get('v') ?? '', 'base64');
      if (!serverSignature || v.length !== serverSignature.length || !timingSafeEqual(v, serverSignature)) {
        throw new AuthenticationError('SCRAM: server signature does not match (not the real broker?)');
      }
      return undefined;
    },
  };
}
