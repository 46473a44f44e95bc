// kcat's `-o` start positions: beginning | end | stored | <N> (absolute) | -<N> (N before the end of
// each partition) | @<ms> or s@<ms> (the first record at or after that time; an ISO date also works).
import { usage } from './fail.js';

export type OffsetSpec =
  | { kind: 'beginning' }
  | { kind: 'end' }
  | { kind: 'stored' }
  | { kind: 'absolute'; offset: number }
  | { kind: 'tail'; count: number }
  | { kind: 'timestamp'; timestamp: number };

export function parseOffsetSpec(text: string): OffsetSpec {
  const t = text.trim();
  if (t === 'beginning' || t === 'earliest') return { kind: 'beginning' };
  if (t === 'end' || t === 'latest') return { kind: 'end' };
  if (t === 'stored') return { kind: 'stored' };
  if (/^\d+$/.test(t) && Number.isSafeInteger(Number(t))) return { kind: 'absolute', offset: Number(t) };
  if (/^-\d+$/.test(t) && Number.isSafeInteger(-Number(t))) return { kind: 'tail', count: -Number(t) };
  const at = /^s?@(.+)$/.exec(t);
  if (at) {
    const v = at[1]!;
    const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
    if (Number.isSafeInteger(ms) && ms >= 0) return { kind: 'timestamp', timestamp: ms };
  }
  throw usage(
    `bad offset spec "${text}": expected beginning, end, stored, <offset>, -<count> or @<timestamp ms | ISO date>`,
  );
}
