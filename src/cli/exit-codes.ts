// The CLI's exit codes (docs/cli.md): one per kind of failure, so scripts can tell them apart.
export const ExitCode = {
  OK: 0,
  /** Anything not below. */
  FAILURE: 1,
  /** A usage mistake: unknown option, bad offset spec, bad format string, bad value. */
  USAGE: 2,
  /** No broker reachable, connection or authentication failure. */
  CONNECTION: 3,
  /** An unknown topic, partition or group. */
  NOT_FOUND: 4,
  /** The sink's store failed: bad database URL, read-only file, disk full. */
  STORE: 5,
  /** Interrupted (SIGINT/SIGTERM) before finishing: what was done is kept. */
  INTERRUPTED: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
