import { ConfigError } from '../errors.js';
import { consoleLogger, type Logger } from '../logger.js';
import type { SaslOptions } from '../network/sasl/index.js';
import { SASL_MECHANISMS } from '../network/sasl/index.js';
import { MAX_TIMEOUT_MS, MAX_TIMEOUT_TEXT } from '../network/timeouts.js';
import type { TlsOptions } from '../network/transport.js';

type Kind = 'string' | 'number' | 'boolean' | 'object' | 'function' | 'stringArray';

/** How one option is checked, its default, and the Java client config it mirrors. */
export interface OptionSpec {
  kind: Kind | readonly Kind[];
  default?: unknown;
  /** The Java client's config name, for documentation and error messages. */
  java?: string;
  min?: number;
  max?: number;
  integer?: boolean;
  oneOf?: readonly unknown[];
  /** Extra check; returns an error message or undefined. */
  check?: (value: unknown) => string | undefined;
}

export type OptionSpecs = Record<string, OptionSpec>;

function kindOf(v: unknown): Kind | 'other' {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'function') return 'function';
  if (Array.isArray(v)) return v.every((x) => typeof x === 'string') ? 'stringArray' : 'other';
  if (typeof v === 'object' && v !== null) return 'object';
  return 'other';
}

function distance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(
        dp[j]! + 1,
        dp[j - 1]! + 1,
        prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1),
      );
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

function suggestion(name: string, known: string[]): string {
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = distance(name, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best && bestD <= Math.max(2, Math.floor(name.length / 3)) ? ` (did you mean "${best}"?)` : '';
}

/**
 * Checks `input` against `specs`: unknown names, wrong types and out-of-range values each give a
 * {@link ConfigError} naming the option. Returns a copy with defaults filled in.
 *
 * Every option named `…Ms` is a duration that ends up in a timer, so it is capped at 2^31-1 ms
 * (Node fires longer timers after 1 ms) unless its spec sets a lower `max`.
 */
export function validateOptions<T>(owner: string, specs: OptionSpecs, input: unknown): T {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ConfigError(owner, `expected an options object, got ${input === null ? 'null' : typeof input}`);
  }
  const known = Object.keys(specs);
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input)) {
    // Own properties only: `constructor`, `toString` or `__proto__` (an own key after JSON.parse)
    // must not find Object.prototype's members and pass for option specs.
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (!spec) throw new ConfigError(name, `unknown option for ${owner}${suggestion(name, known)}`);
    if (value === undefined) continue;
    const kinds = (Array.isArray(spec.kind) ? spec.kind : [spec.kind]) as readonly Kind[];
    const actual = kindOf(value);
    if (!kinds.includes(actual as Kind)) {
      const javaName = spec.java ? ` (${spec.java})` : '';
      throw new ConfigError(
        name,
        `expected ${kinds.join(' or ')}${javaName}, got ${JSON.stringify(value) ?? typeof value}`,
      );
    }
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new ConfigError(name, `expected a finite number, got ${value}`);
      if (spec.integer && !Number.isInteger(value)) throw new ConfigError(name, `expected an integer, got ${value}`);
      if (spec.min !== undefined && value < spec.min)
        throw new ConfigError(name, `must be >= ${spec.min}, got ${value}`);
      if (spec.max !== undefined && value > spec.max)
        throw new ConfigError(name, `must be <= ${spec.max}, got ${value}`);
      if (name.endsWith('Ms') && value > MAX_TIMEOUT_MS)
        throw new ConfigError(name, `${MAX_TIMEOUT_TEXT}, got ${value}`);
    }
    if (spec.oneOf && !spec.oneOf.includes(value)) {
      throw new ConfigError(
        name,
        `must be one of ${spec.oneOf.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(value)}`,
      );
    }
    const problem = spec.check?.(value);
    if (problem) throw new ConfigError(name, problem);
    out[name] = value;
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (out[name] === undefined && spec.default !== undefined) out[name] = spec.default;
  }
  return out as T;
}

export interface BrokerAddress {
  host: string;
  port: number;
}

/** Parses `host:port` (or `[v6]:port`); throws a {@link ConfigError} naming `option` when malformed. */
export function parseBrokerAddress(text: string, option = 'brokers'): BrokerAddress {
  const m = /^(?:\[([^\]]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port < 1 || port > 65535) {
    throw new ConfigError(option, `malformed broker address "${text}": expected host:port, e.g. "localhost:9092"`);
  }
  return { host: (m[1] ?? m[2])!, port };
}

/** Options every client (Consumer, Producer, Admin) accepts. */
export interface ClientOptions {
  /** Bootstrap brokers, `host:port` (`bootstrap.servers`). Any reachable one will do. */
  brokers: string[] | string;
  /** Sent with every request (`client.id`). Default `sluice`. */
  clientId?: string;
  /** TLS (`security.protocol=SSL`); `true` uses the system CAs. Default off. */
  tls?: TlsOptions | boolean;
  /** SASL mechanism and credentials (`sasl.mechanism`, `sasl.jaas.config`). Default none. */
  sasl?: SaslOptions;
  /** Time to wait for one response (`request.timeout.ms`). Default 30000. */
  requestTimeoutMs?: number;
  /** Time to establish one TCP/TLS connection (`socket.connection.setup.timeout.ms`). Default 10000. */
  connectionTimeoutMs?: number;
  /** First delay before retrying a failed request (`retry.backoff.ms`). Default 100. */
  retryBackoffMs?: number;
  /** Largest delay between retries (`retry.backoff.max.ms`). Default 1000. */
  retryBackoffMaxMs?: number;
  /** First delay before reconnecting to a broker (`reconnect.backoff.ms`). Default 50. */
  reconnectBackoffMs?: number;
  /** Largest delay between reconnects (`reconnect.backoff.max.ms`). Default 1000. */
  reconnectBackoffMaxMs?: number;
  /** Refresh metadata at least this often (`metadata.max.age.ms`). Default 300000. */
  metadataMaxAgeMs?: number;
  /** Overall deadline for an operation that retries, e.g. connecting or committing (`default.api.timeout.ms`). Default 60000. */
  defaultApiTimeoutMs?: number;
  /** Receives internal events (rebalances, retries, background commit failures). Default: warnings to stderr. */
  logger?: Logger;
  /** Test seam: replaces how sockets are opened. */
  socketFactory?: (opts: import('../network/transport.js').SocketOptions) => import('node:net').Socket;
}

export type ResolvedClientOptions = Required<
  Omit<ClientOptions, 'tls' | 'sasl' | 'socketFactory' | 'brokers' | 'logger'>
> & {
  logger: Logger;
  brokers: BrokerAddress[];
  tls: TlsOptions | boolean | undefined;
  sasl: SaslOptions | undefined;
  socketFactory: ClientOptions['socketFactory'];
};

const ms = (def: number, java: string, min = 0): OptionSpec => ({
  kind: 'number',
  default: def,
  java,
  min,
  integer: true,
});

/**
 * The credentials each mechanism needs, checked up front: a missing password would otherwise be sent
 * as the text "undefined" and fail (or worse, succeed) at the broker, once per connection attempt.
 */
function checkSasl(v: unknown): string | undefined {
  const o = v as Record<string, unknown>;
  const m = o.mechanism;
  if (!SASL_MECHANISMS.includes(m as (typeof SASL_MECHANISMS)[number])) {
    return `mechanism must be one of ${SASL_MECHANISMS.join(', ')}, got ${JSON.stringify(m)}`;
  }
  if (m === 'OAUTHBEARER') {
    return typeof o.token === 'function'
      ? undefined
      : `OAUTHBEARER needs a token provider: { mechanism: 'OAUTHBEARER', token: () => string | { value } }, got token ${JSON.stringify(o.token) ?? typeof o.token}`;
  }
  for (const field of ['username', 'password'] as const) {
    const x = o[field];
    if (typeof x !== 'string' || x === '') {
      // Say what kind of value it was, never the value: it may be a secret.
      const got = x === undefined ? 'none' : x === '' ? 'an empty string' : x === null ? 'null' : `a ${typeof x}`;
      return `${m} needs a non-empty ${field} (a string), got ${got}`;
    }
  }
  return undefined;
}

export const clientOptionSpecs: OptionSpecs = {
  brokers: { kind: ['string', 'stringArray'], java: 'bootstrap.servers' },
  clientId: { kind: 'string', default: 'sluice', java: 'client.id' },
  tls: { kind: ['boolean', 'object'], java: 'security.protocol' },
  sasl: { kind: 'object', java: 'sasl.mechanism', check: checkSasl },
  requestTimeoutMs: ms(30000, 'request.timeout.ms', 1),
  connectionTimeoutMs: ms(10000, 'socket.connection.setup.timeout.ms', 1),
  retryBackoffMs: ms(100, 'retry.backoff.ms'),
  retryBackoffMaxMs: ms(1000, 'retry.backoff.max.ms'),
  reconnectBackoffMs: ms(50, 'reconnect.backoff.ms'),
  reconnectBackoffMaxMs: ms(1000, 'reconnect.backoff.max.ms'),
  metadataMaxAgeMs: ms(300000, 'metadata.max.age.ms'),
  defaultApiTimeoutMs: ms(60000, 'default.api.timeout.ms', 1),
  socketFactory: { kind: 'function' },
  logger: {
    kind: 'object',
    check: (v) =>
      ['debug', 'info', 'warn', 'error'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function')
        ? undefined
        : 'must have debug, info, warn and error methods',
  },
};

/** Validates the shared client options (plus `extra` specs of the concrete client). */
export function resolveClientOptions<T extends object = object>(
  owner: string,
  input: unknown,
  extra: OptionSpecs = {},
): ResolvedClientOptions & T {
  const o = validateOptions<ClientOptions & Record<string, unknown>>(owner, { ...clientOptionSpecs, ...extra }, input);
  if (o.brokers === undefined) throw new ConfigError('brokers', 'is required, e.g. ["localhost:9092"]');
  const list = (typeof o.brokers === 'string' ? o.brokers.split(',') : o.brokers).filter((b) => b.trim() !== '');
  if (list.length === 0) throw new ConfigError('brokers', 'needs at least one host:port');
  return {
    ...o,
    logger: o.logger ?? consoleLogger(),
    brokers: list.map((b) => parseBrokerAddress(b)),
  } as unknown as ResolvedClientOptions & T;
}
