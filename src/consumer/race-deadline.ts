/** Resolves when `p` settles or at `deadline` (ms since the epoch), whichever comes first. */
export function raceDeadline(p: Promise<unknown> | undefined, deadline: number): Promise<void> {
  if (!p) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(resolve, Math.max(0, deadline - Date.now()));
    p.then(
      () => {
        clearTimeout(t);
        resolve();
      },
      () => {
        clearTimeout(t);
        resolve();
      },
    );
  });
}
