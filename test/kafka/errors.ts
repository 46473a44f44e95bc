/**
 * A set-up problem the user can fix (Java missing, a Maven resolution failure, a taken port, a broker that
 * would not start). The CLIs print only `message` for these — no stack — so the message must say what went
 * wrong and what to do about it.
 */
export class HarnessError extends Error {
  override readonly name = 'HarnessError';
}
