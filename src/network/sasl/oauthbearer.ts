import { AuthenticationError } from '../errors.js';
import type { SaslMechanism } from './index.js';

export interface OAuthBearerToken {
  /** The compact-serialized token (e.g. a JWT). */
  value: string;
  /** SASL extensions (KIP-342), sent as key=value pairs. */
  extensions?: Record<string, string>;
}

export interface OAuthBearerOptions {
  mechanism: 'OAUTHBEARER';
  /** Called for every new connection; fetch or refresh the token here. */
  token: () => Promise<OAuthBearerToken | string> | OAuthBearerToken | string;
}

const SEP = '\u0001';

/**
 * SASL/OAUTHBEARER (RFC 7628, KIP-255): one client message `n,,<SEP>auth=Bearer <token><SEP>[k=v<SEP>]<SEP>`.
 * On failure the server sends a JSON error as a challenge; the client must answer with a single
 * SEP byte, after which the server fails the exchange (we surface the JSON in the error).
 */
export function oauthBearerMechanism(o: OAuthBearerOptions): SaslMechanism {
  let sent = false;
  return {
    async first() {
      const t = await o.token();
      const token = typeof t === 'string' ? { value: t } : t;
      if (!token.value) throw new AuthenticationError('OAUTHBEARER: the token provider returned an empty token');
      let ext = '';
      for (const [k, v] of Object.entries(token.extensions ?? {})) ext += `${k}=${v}${SEP}`;
      return Buffer.from(`n,,${SEP}auth=Bearer ${token.value}${SEP}${ext}${SEP}`, 'utf8');
    },
    next(challenge) {
      if (challenge.length === 0) return undefined;
      if (sent) return undefined;
      sent = true;
      throw new AuthenticationError(`OAUTHBEARER: server rejected the token: ${challenge.toString('utf8')}`);
    },
  };
}
