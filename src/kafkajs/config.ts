// `new Kafka({ … })`'s options, KafkaJS's names, mapped to Sluice's ClientOptions.
import type { ConnectionOptions } from 'node:tls';
import type { ClientOptions } from '../cluster/options.js';
import { ConfigError } from '../errors.js';
import type { SaslOptions } from '../network/sasl/index.js';
import type { TlsOptions } from '../network/transport.js';
import { type KafkaJSLogger, type LogLevel, type logCreator, sluiceLogger } from './logger.js';

export type BrokersFunction = () => string[] | Promise<string[]>;

export interface RetryOptions {
  /** Longest wait between retries (ms). KafkaJS default 30000. */
  maxRetryTime?: number;
  /** First wait (ms). KafkaJS default 300. */
  initialRetryTime?: number;
  /** Jitter factor. Accepted; Sluice's backoff has its own jitter. */
  factor?: number;
  /** Growth per retry. Accepted; Sluice's backoff doubles. */
  multiplier?: number;
  /** Retries before giving up. KafkaJS default 5. */
  retries?: number;
  restartOnFailure?: (e: Error) => Promise<boolean>;
}

export type SASLOptions =
  | { mechanism: 'plain'; username: string; password: string }
  | { mechanism: 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
  | {
      mechanism: 'oauthbearer';
      oauthBearerProvider: () => Promise<{ value: string }>;
    };

export interface KafkaConfig {
  brokers: string[] | BrokersFunction;
  clientId?: string;
  ssl?: boolean | ConnectionOptions;
  sasl?: SASLOptions;
  /** TCP/TLS connect timeout (ms). KafkaJS default 1000. */
  connectionTimeout?: number;
  authenticationTimeout?: number;
  reauthenticationThreshold?: number;
  /** Per-request timeout (ms). KafkaJS default 30000. */
  requestTimeout?: number;
  enforceRequestTimeout?: boolean;
  retry?: RetryOptions;
  logLevel?: LogLevel;
  logCreator?: logCreator;
  socketFactory?: unknown;
}

const DEFAULT_RETRIES = 5;
const DEFAULT_INITIAL_RETRY_MS = 300;
const DEFAULT_MAX_RETRY_MS = 30_000;

/** KafkaJS's `retry` resolved with its defaults. */
export function retryOf(
  retry: RetryOptions | undefined,
): Required<Pick<RetryOptions, 'retries' | 'initialRetryTime' | 'maxRetryTime'>> {
  return {
    retries: retry?.retries ?? DEFAULT_RETRIES,
    initialRetryTime: retry?.initialRetryTime ?? DEFAULT_INITIAL_RETRY_MS,
    maxRetryTime: retry?.maxRetryTime ?? DEFAULT_MAX_RETRY_MS,
  };
}

/**
 * How long KafkaJS keeps retrying before giving up: the sum of its backoff waits (`retries` of them,
 * growing by `multiplier` from `initialRetryTime`, each capped at `maxRetryTime`), at least 1 s. Used as
 * the deadline of whatever Sluice does in one call where KafkaJS would retry (connect, a blocked send).
 */
export function retryBudgetMs(retry: RetryOptions | undefined): number {
  const r = retryOf(retry);
  const multiplier = retry?.multiplier ?? 2;
  let total = 0;
  for (let n = 0; n < Math.min(r.retries, 50); n++) {
    total += Math.min(r.initialRetryTime * multiplier ** n, r.maxRetryTime);
  }
  return Math.max(1000, Math.min(Math.round(total), 2147483647));
}

function tlsOf(ssl: KafkaConfig['ssl']): TlsOptions | boolean | undefined {
  if (ssl === undefined || ssl === false) return undefined;
  if (ssl === true) return true;
  const { ca, cert, key, passphrase, servername, rejectUnauthorized } = ssl;
  const out: TlsOptions = {};
  if (ca !== undefined) out.ca = ca as TlsOptions['ca'];
  if (cert !== undefined) out.cert = cert as string | Buffer;
  if (key !== undefined) out.key = key as string | Buffer;
  if (passphrase !== undefined) out.passphrase = passphrase;
  if (servername !== undefined) out.servername = servername;
  if (rejectUnauthorized !== undefined) out.rejectUnauthorized = rejectUnauthorized;
  return out;
}

function saslOf(sasl: KafkaConfig['sasl']): SaslOptions | undefined {
  if (sasl === undefined) return undefined;
  const mechanism = String((sasl as { mechanism?: unknown }).mechanism ?? '').toLowerCase();
  if (mechanism === 'plain' || mechanism === 'scram-sha-256' || mechanism === 'scram-sha-512') {
    const s = sasl as { username: string; password: string };
    return { mechanism: mechanism.toUpperCase() as 'PLAIN', username: s.username, password: s.password };
  }
  if (mechanism === 'oauthbearer') {
    const provider = (sasl as { oauthBearerProvider?: () => Promise<{ value: string }> }).oauthBearerProvider;
    if (typeof provider !== 'function') throw new ConfigError('sasl.oauthBearerProvider', 'must be a function');
    return { mechanism: 'OAUTHBEARER', token: async () => (await provider()).value };
  }
  throw new ConfigError(
    'sasl.mechanism',
    `"${mechanism}" is not supported (plain, scram-sha-256, scram-sha-512, oauthbearer; not aws)`,
  );
}

/** The brokers: the list, or what the function returns (KafkaJS calls it on connect). */
export async function brokersOf(brokers: KafkaConfig['brokers']): Promise<string[]> {
  const list = typeof brokers === 'function' ? await brokers() : brokers;
  if (!Array.isArray(list) || list.length === 0)
    throw new ConfigError('brokers', 'expected a non-empty list of host:port');
  return list;
}

/** Sluice client options for `config` (brokers resolved by the caller). */
export function clientOptionsOf(config: KafkaConfig, brokers: string[], logger: KafkaJSLogger): ClientOptions {
  const retry = retryOf(config.retry);
  const out: ClientOptions = {
    brokers,
    clientId: config.clientId ?? 'kafkajs',
    logger: sluiceLogger(logger),
    connectionTimeoutMs: config.connectionTimeout ?? 1000,
    requestTimeoutMs: config.requestTimeout ?? 30_000,
    retryBackoffMs: retry.initialRetryTime,
    retryBackoffMaxMs: retry.maxRetryTime,
  };
  const tls = tlsOf(config.ssl);
  if (tls !== undefined) out.tls = tls;
  const sasl = saslOf(config.sasl);
  if (sasl !== undefined) out.sasl = sasl;
  return out;
}
