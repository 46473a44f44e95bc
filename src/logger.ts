/**
 * Where Sluice reports what happens inside (rebalances, retries, failed background commits).
 * Pass your own (e.g. a pino or winston adapter) with the `logger` option; the default writes
 * warnings and errors to stderr, and more with `SLUICE_LOG_LEVEL=debug|info`.
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof LEVELS;

function format(fields: Record<string, unknown> | undefined): string {
  if (!fields) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    const text = v instanceof Error ? v.message : typeof v === 'string' ? v : JSON.stringify(v);
    parts.push(`${k}=${text}`);
  }
  return parts.length ? ` ${parts.join(' ')}` : '';
}

/** A logger writing one line per event to stderr, at `level` and above. */
export function consoleLogger(level: LogLevel = (process.env.SLUICE_LOG_LEVEL as LogLevel) ?? 'warn'): Logger {
  const min = LEVELS[level] ?? LEVELS.warn;
  const at = (name: Exclude<LogLevel, 'silent'>) =>
    LEVELS[name] < min
      ? () => {}
      : (message: string, fields?: Record<string, unknown>) => {
          process.stderr.write(
            `${new Date().toISOString()} sluice ${name.toUpperCase()} ${message}${format(fields)}\n`,
          );
        };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Drops everything. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
