/**
 * The root of every error Sluice throws. Each layer defines its own subclasses; all carry a stable
 * string `code` (safe to switch on), a `retriable` flag and, where one exists, the `cause`.
 *
 * This file imports nothing so that every layer may import it.
 */
export interface SluiceErrorOptions {
  /** Stable machine-readable code, e.g. `PROTOCOL_DECODE`, `CONNECTION_CLOSED`, or a Kafka error name. */
  code: string;
  /** Whether repeating the same operation may succeed. */
  retriable?: boolean;
  cause?: unknown;
}

export class SluiceError extends Error {
  readonly code: string;
  readonly retriable: boolean;

  constructor(message: string, options: SluiceErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.retriable = options.retriable ?? false;
  }
}

/** True when the error says the same operation may succeed if repeated. */
export function isRetriable(err: unknown): boolean {
  return err instanceof SluiceError && err.retriable;
}

/** A user mistake in options or arguments: never retriable, always names the offending option. */
export class ConfigError extends SluiceError {
  readonly option: string;

  constructor(option: string, message: string) {
    super(`Invalid option "${option}": ${message}`, { code: 'INVALID_CONFIG' });
    this.option = option;
  }
}
