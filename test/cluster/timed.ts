/** How long a call took to settle, and what it rejected with (undefined when it resolved). */
export interface Outcome {
  ms: number;
  err: unknown;
}

export async function timed(call: () => Promise<unknown>): Promise<Outcome> {
  const t0 = Date.now();
  try {
    await call();
    return { ms: Date.now() - t0, err: undefined };
  } catch (err) {
    return { ms: Date.now() - t0, err };
  }
}
