// KafkaJS's logging: `logLevel` numbers, `logCreator(level) => ({ namespace, level, label, log }) => …`,
// its JSON-line console default, and `kafka.logger()` (info/warn/error/debug, namespace, setLogLevel).
// Sluice's own logger calls are routed through it, so a KafkaJS logCreator (pino, winston adapters)
// keeps working.
import type { Logger } from '../logger.js';

export const logLevel = { NOTHING: 0, ERROR: 1, WARN: 2, INFO: 4, DEBUG: 5 } as const;
export type LogLevel = (typeof logLevel)[keyof typeof logLevel];

export interface LogEntry {
  namespace: string;
  level: LogLevel;
  label: string;
  log: { timestamp: string; logger: 'kafkajs'; message: string; [key: string]: unknown };
}
export type logCreator = (level: LogLevel) => (entry: LogEntry) => void;

export interface KafkaJSLogger {
  info(message: string, extra?: object): void;
  error(message: string, extra?: object): void;
  warn(message: string, extra?: object): void;
  debug(message: string, extra?: object): void;
  namespace(namespace: string, level?: LogLevel): KafkaJSLogger;
  setLogLevel(level: LogLevel): void;
}

/** KafkaJS's default: one JSON object per line on the console. */
export const consoleLogCreator: logCreator =
  () =>
  ({ namespace, level, label, log }) => {
    const line = JSON.stringify({
      level: label,
      ...log,
      message: `${namespace ? `[${namespace}] ` : ''}${log.message}`,
    });
    if (level === logLevel.ERROR) console.error(line);
    else if (level === logLevel.WARN) console.warn(line);
    else if (level === logLevel.INFO) console.info(line);
    else console.log(line);
  };

/** KAFKAJS_LOG_LEVEL, as KafkaJS reads it, wins over the configured level. */
function evaluate(level: LogLevel): LogLevel {
  const env = (process.env.KAFKAJS_LOG_LEVEL ?? '').toUpperCase() as keyof typeof logLevel;
  return logLevel[env] ?? level;
}

/** Plain-object form of what Sluice puts in a log call's fields (errors by message, as KafkaJS logs them). */
function plain(fields: Record<string, unknown> | undefined): Record<string, unknown> {
  if (fields === undefined) return {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = v instanceof Error ? v.message : v;
  return out;
}

export function createLogger(level: LogLevel = logLevel.INFO, creator: logCreator = consoleLogCreator): KafkaJSLogger {
  let current = evaluate(level);
  const write = creator(current);
  const make = (namespace: string, own: LogLevel | null): KafkaJSLogger => {
    const at =
      (label: string, lvl: LogLevel) =>
      (message: string, extra: object = {}) => {
        if (lvl > (own ?? current)) return;
        write({
          namespace,
          level: lvl,
          label,
          log: { timestamp: new Date().toISOString(), logger: 'kafkajs', message, ...extra },
        });
      };
    return {
      info: at('INFO', logLevel.INFO),
      error: at('ERROR', logLevel.ERROR),
      warn: at('WARN', logLevel.WARN),
      debug: at('DEBUG', logLevel.DEBUG),
      namespace: (ns, lvl) => make(ns, lvl === undefined ? null : evaluate(lvl)),
      setLogLevel: (lvl) => {
        current = lvl;
      },
    };
  };
  return make('', null);
}

/** Sluice's Logger interface on top of a KafkaJS logger (for the clients behind the facade). */
export function sluiceLogger(logger: KafkaJSLogger): Logger {
  return {
    debug: (m, f) => logger.debug(m, plain(f)),
    info: (m, f) => logger.info(m, plain(f)),
    warn: (m, f) => logger.warn(m, plain(f)),
    error: (m, f) => logger.error(m, plain(f)),
  };
}
