// The options every command shares (brokers, TLS, SASL, timeout, config file) and how they become
// client options. Precedence: flag > environment variable > config file > default. Commander does
// the first two (`Option.env`); the config file fills what is still unset, in a preAction hook.
import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import type { ClientOptions } from '../cluster/options.js';
import type { Logger } from '../logger.js';
import { usage } from './fail.js';

export interface ConnectionFlags {
  brokers?: string;
  clientId?: string;
  timeout?: string;
  tls?: boolean;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsInsecure?: boolean;
  saslMechanism?: string;
  saslUsername?: string;
  saslPassword?: string;
  verbose?: boolean;
}

export const DEFAULT_BROKERS = 'localhost:9092';
export const DEFAULT_TIMEOUT_MS = 10_000;

/** Adds the shared options to a command (call it once per command, after its own options). */
export function withConnectionOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('-b, --brokers <list>', `bootstrap brokers, host:port[,host:port] (default "${DEFAULT_BROKERS}")`).env(
        'SLUICE_BROKERS',
      ),
    )
    .addOption(
      new Option('--config <file>', 'JSON file of option values (keys: long option names)').env('SLUICE_CONFIG'),
    )
    .addOption(
      new Option('--client-id <id>', 'client.id sent to the brokers (default "sluice")').env('SLUICE_CLIENT_ID'),
    )
    .addOption(
      new Option(
        '--timeout <duration>',
        `give up connecting or waiting for an answer after this long: ms, or 500ms, 15s, 1m (default ${DEFAULT_TIMEOUT_MS} ms)`,
      ).env('SLUICE_TIMEOUT'),
    )
    .addOption(new Option('--tls', 'connect with TLS (system CAs unless --tls-ca)').env('SLUICE_TLS'))
    .addOption(new Option('--tls-ca <file>', 'PEM CA certificate(s) to trust (implies --tls)').env('SLUICE_TLS_CA'))
    .addOption(
      new Option('--tls-cert <file>', 'PEM client certificate, mutual TLS (implies --tls)').env('SLUICE_TLS_CERT'),
    )
    .addOption(new Option('--tls-key <file>', 'PEM private key of --tls-cert').env('SLUICE_TLS_KEY'))
    .addOption(new Option('--tls-insecure', 'accept any broker certificate (tests only)').env('SLUICE_TLS_INSECURE'))
    .addOption(
      new Option('--sasl-mechanism <name>', 'SASL mechanism')
        .choices(['plain', 'scram-sha-256', 'scram-sha-512', 'PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'])
        .env('SLUICE_SASL_MECHANISM'),
    )
    .addOption(new Option('--sasl-username <name>', 'SASL user name').env('SLUICE_SASL_USERNAME'))
    .addOption(new Option('--sasl-password <secret>', 'SASL password (prefer the env var)').env('SLUICE_SASL_PASSWORD'))
    .addOption(new Option('-v, --verbose', "log the client's warnings and progress on stderr").env('SLUICE_VERBOSE'));
}

const camel = (k: string) => k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Fills options still unset (not given as a flag nor by env) from the JSON config file named by
 * `--config` / `SLUICE_CONFIG`. Keys are long option names, kebab or camel case (`sasl-mechanism`
 * or `saslMechanism`); unknown keys are a usage error, so a typo does not go unnoticed.
 */
export function applyConfigFile(cmd: Command): void {
  const file = cmd.getOptionValue('config') as string | undefined;
  if (!file) return;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw usage(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw usage(`config file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw usage(`config file ${file} must hold a JSON object of option values`);
  const known = new Map(cmd.options.map((o) => [o.attributeName(), o]));
  for (const [rawKey, value] of Object.entries(data)) {
    const key = camel(rawKey);
    const opt = known.get(key);
    if (!opt || key === 'config') throw usage(`config file ${file}: unknown option "${rawKey}" for ${cmd.name()}`);
    const source = cmd.getOptionValueSource(key);
    if (source !== undefined && source !== 'default' && source !== 'implied') continue;
    const v = typeof value === 'number' ? String(value) : value;
    if (opt.isBoolean() ? typeof v !== 'boolean' : typeof v !== 'string' && !Array.isArray(v))
      throw usage(`config file ${file}: "${rawKey}" must be a ${opt.isBoolean() ? 'boolean' : 'string or number'}`);
    if (opt.argChoices && !opt.argChoices.includes(v as string))
      throw usage(`config file ${file}: "${rawKey}" must be one of ${opt.argChoices.join(', ')}`);
    cmd.setOptionValueWithSource(key, v, 'config');
  }
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

/** A duration from an option's text: milliseconds, or with a unit (`500ms`, `15s`, `1m`), as `sluice lag` takes it. */
export function parseMs(text: string | undefined, option: string, fallback: number): number {
  if (text === undefined) return fallback;
  const m = /^(\d+)(ms|s|m)?$/.exec(String(text).trim());
  const n = m ? Number(m[1]) * UNIT_MS[m[2] ?? 'ms']! : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > 2147483647)
    throw usage(`${option} must be a duration from 1 ms to 2147483647 ms (e.g. 5000, 500ms, 15s, 1m), got "${text}"`);
  return n;
}

function readPem(file: string, option: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw usage(`${option}: cannot read ${file}: ${(err as Error).message}`);
  }
}

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function stderrLogger(): Logger {
  const log =
    (level: string) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      const extra =
        fields && Object.keys(fields).length
          ? ` ${JSON.stringify(fields, (_k, v) => (v instanceof Error ? v.message : v))}`
          : '';
      process.stderr.write(`% ${level}: ${msg}${extra}\n`);
    };
  return { debug() {}, info: log('info'), warn: log('warn'), error: log('error') };
}

/** Client options (brokers, TLS, SASL, timeouts, logger) from the shared flags. */
export function clientOptions(flags: ConnectionFlags): ClientOptions & { brokers: string } {
  const timeoutMs = parseMs(flags.timeout, '--timeout', DEFAULT_TIMEOUT_MS);
  const out: ClientOptions & { brokers: string } = {
    brokers: flags.brokers ?? DEFAULT_BROKERS,
    clientId: flags.clientId ?? 'sluice',
    defaultApiTimeoutMs: timeoutMs,
    connectionTimeoutMs: timeoutMs,
    requestTimeoutMs: Math.max(timeoutMs, 30_000),
    logger: flags.verbose ? stderrLogger() : quiet,
  };
  if (flags.tlsKey && !flags.tlsCert) throw usage('--tls-key needs --tls-cert');
  if (flags.tlsCert && !flags.tlsKey) throw usage('--tls-cert needs --tls-key');
  if (flags.tls || flags.tlsCa || flags.tlsCert || flags.tlsInsecure) {
    out.tls = {
      ...(flags.tlsCa ? { ca: readPem(flags.tlsCa, '--tls-ca') } : {}),
      ...(flags.tlsCert ? { cert: readPem(flags.tlsCert, '--tls-cert') } : {}),
      ...(flags.tlsKey ? { key: readPem(flags.tlsKey, '--tls-key') } : {}),
      ...(flags.tlsInsecure ? { rejectUnauthorized: false } : {}),
    };
  }
  if (flags.saslMechanism) {
    const mechanism = flags.saslMechanism.toUpperCase() as 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
    if (!flags.saslUsername) throw usage(`--sasl-mechanism ${flags.saslMechanism} needs --sasl-username`);
    if (!flags.saslPassword)
      throw usage(`--sasl-mechanism ${flags.saslMechanism} needs --sasl-password (or SLUICE_SASL_PASSWORD)`);
    out.sasl = { mechanism, username: flags.saslUsername, password: flags.saslPassword };
  } else if (flags.saslUsername || flags.saslPassword) {
    throw usage('--sasl-username/--sasl-password need --sasl-mechanism');
  }
  return out;
}
