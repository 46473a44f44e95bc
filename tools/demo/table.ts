// Plain text tables for the demo's output: numbers right-aligned with thousands separators (a column
// with fractions shows them all to the same precision), everything else left-aligned.

export type Cell = string | number | bigint | null;

function decimals(n: number): number {
  if (Number.isInteger(n)) return 0;
  const frac = String(n).split('.')[1] ?? '';
  return Math.min(2, frac.length);
}

export function formatTable(headers: string[], rows: Cell[][]): string {
  const places = headers.map((_, i) =>
    Math.max(0, ...rows.map((r) => (typeof r[i] === 'number' ? decimals(r[i] as number) : 0))),
  );
  const text = (c: Cell, i: number): string => {
    if (c === null || c === undefined) return '—';
    if (typeof c === 'number') {
      const d = places[i]!;
      return c.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
    }
    return String(c);
  };
  const cells = rows.map((r) => headers.map((_, i) => text(r[i] ?? null, i)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] !== 'string'));
  const line = (r: string[]) =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}
