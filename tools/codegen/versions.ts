/**
 * Version ranges as Kafka's schemas write them: `"3+"`, `"0-12"`, `"5"` or `"none"`. Kafka's own
 * generator (`generator/.../Versions.java`) only knows contiguous ranges, so a range is `lo..hi`
 * inclusive; `hi` is {@link OPEN} for open-ended ranges and an empty range has `lo > hi`.
 */
export interface Range {
  readonly lo: number;
  readonly hi: number;
}

/** Kafka uses Short.MAX_VALUE as the top of an open-ended range. */
export const OPEN = 32767;
export const NONE: Range = { lo: 1, hi: 0 };
export const ALL: Range = { lo: 0, hi: OPEN };

export function parseRange(text: string | undefined, fallback: Range): Range {
  if (text === undefined) return fallback;
  const s = text.trim();
  if (s === 'none' || s === '') return NONE;
  if (s.endsWith('+')) return { lo: toInt(s.slice(0, -1), text), hi: OPEN };
  const dash = s.indexOf('-');
  if (dash > 0) return { lo: toInt(s.slice(0, dash), text), hi: toInt(s.slice(dash + 1), text) };
  const v = toInt(s, text);
  return { lo: v, hi: v };
}

function toInt(s: string, whole: string): number {
  if (!/^\d+$/.test(s)) throw new Error(`Invalid version range "${whole}"`);
  return Number(s);
}

export function isEmpty(r: Range): boolean {
  return r.lo > r.hi;
}

export function contains(r: Range, v: number): boolean {
  return v >= r.lo && v <= r.hi;
}

/** True when every version of `inner` is in `outer` (an empty inner range is always contained). */
export function covers(outer: Range, inner: Range): boolean {
  return isEmpty(inner) || (inner.lo >= outer.lo && inner.hi <= outer.hi);
}

export function intersect(a: Range, b: Range): Range {
  const r = { lo: Math.max(a.lo, b.lo), hi: Math.min(a.hi, b.hi) };
  return isEmpty(r) ? NONE : r;
}

/** The smallest range holding both (the struct registry unions the contexts a struct is used in). */
export function hull(a: Range, b: Range): Range {
  if (isEmpty(a)) return b;
  if (isEmpty(b)) return a;
  return { lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi) };
}

export function formatRange(r: Range): string {
  if (isEmpty(r)) return 'none';
  if (r.hi === OPEN) return `${r.lo}+`;
  return r.lo === r.hi ? `${r.lo}` : `${r.lo}-${r.hi}`;
}

/** A run of consecutive versions (within a context range) that share one value of `T`. */
export interface Segment<T> {
  readonly lo: number;
  readonly hi: number;
  readonly value: T;
}

/**
 * Splits `ctx` into runs of equal `classify(version)` results (compared by `key`). Only the versions
 * at range boundaries matter, so this walks the distinct boundaries rather than every version.
 */
export function segments<T>(ctx: Range, bounds: readonly Range[], classify: (v: number) => T, key: (t: T) => string) {
  const out: Segment<T>[] = [];
  if (isEmpty(ctx)) return out;
  const cuts = new Set<number>([ctx.lo]);
  for (const b of bounds) {
    if (isEmpty(b)) continue;
    if (b.lo > ctx.lo && b.lo <= ctx.hi) cuts.add(b.lo);
    if (b.hi >= ctx.lo && b.hi < ctx.hi) cuts.add(b.hi + 1);
  }
  const starts = [...cuts].sort((x, y) => x - y);
  for (let i = 0; i < starts.length; i++) {
    const lo = starts[i]!;
    const hi = i + 1 < starts.length ? starts[i + 1]! - 1 : ctx.hi;
    const value = classify(lo);
    const last = out[out.length - 1];
    if (last !== undefined && key(last.value) === key(value)) out[out.length - 1] = { lo: last.lo, hi, value };
    else out.push({ lo, hi, value });
  }
  return out;
}

/**
 * A TypeScript condition on `version` that is true exactly for `r` among the versions in `ctx`
 * (the versions the surrounding code can run with). Returns 'true'/'false' when decided statically.
 */
export function condition(r: Range, ctx: Range, v = 'version'): string {
  const hit = intersect(r, ctx);
  if (isEmpty(hit)) return 'false';
  const needLo = hit.lo > ctx.lo;
  const needHi = hit.hi < ctx.hi;
  if (needLo && needHi) return hit.lo === hit.hi ? `${v} === ${hit.lo}` : `${v} >= ${hit.lo} && ${v} <= ${hit.hi}`;
  if (needLo) return `${v} >= ${hit.lo}`;
  if (needHi) return `${v} <= ${hit.hi}`;
  return 'true';
}
