/** A small indenting line buffer, plus the version-branch emitter both codecs share. */
import { condition, type Range } from './versions.js';

export class Code {
  private readonly lines: string[] = [];
  private depth = 0;

  /** Appends lines at the current indentation ('' stays an empty line). */
  line(...ls: string[]): this {
    for (const l of ls) this.lines.push(l === '' ? '' : '  '.repeat(this.depth) + l);
    return this;
  }

  /** Appends `head` and indents what follows until {@link Code.close}. */
  open(head: string): this {
    this.line(head);
    this.depth++;
    return this;
  }

  close(tail = '}'): this {
    this.depth--;
    return this.line(tail);
  }

  /** Appends another buffer's lines, indented to the current depth. */
  append(other: Code): this {
    for (const l of other.lines) this.lines.push(l === '' ? '' : '  '.repeat(this.depth) + l);
    return this;
  }

  /** Appends another buffer's lines one level deeper than the current depth. */
  indented(other: Code): this {
    this.depth++;
    this.append(other);
    this.depth--;
    return this;
  }

  get empty(): boolean {
    return this.lines.length === 0;
  }

  toString(): string {
    return this.lines.join('\n');
  }
}

/** One branch of a version switch: the versions it covers and the code to run for them. */
export interface Branch {
  readonly range: Range;
  readonly body: Code;
}

/**
 * Emits `if (version >= a) {…} else if (…) {…} else {…}` over disjoint branches, newest first (the
 * hot paths use the newest versions). `ctx` is the set of versions the code can run with, which lets
 * conditions drop bounds that are always true; empty branches are left out.
 */
export function emitBranches(out: Code, branches: readonly Branch[], ctx: Range, block = false): void {
  const live = mergeAdjacent(
    branches.filter((b) => !b.body.empty),
    (b) => b.body.toString(),
  );
  let top = ctx.hi;
  let first = true;
  for (const b of live) {
    const cond = condition(b.range, { lo: ctx.lo, hi: top });
    if (b.range.hi >= top) top = b.range.lo - 1;
    if (cond === 'false') continue;
    if (cond === 'true') {
      if (first) {
        // `block`: keep the body's temporaries scoped even when no condition is needed.
        if (block) out.line('{').indented(b.body).line('}');
        else out.append(b.body);
        return;
      }
      out.line('} else {').indented(b.body).line('}');
      return;
    }
    out.line(first ? `if (${cond}) {` : `} else if (${cond}) {`).indented(b.body);
    first = false;
  }
  if (!first) out.line('}');
}

/**
 * Sorts runs newest first and merges neighbours whose code is identical (e.g. an int32 field is
 * written the same way in flexible and non-flexible versions).
 */
export function mergeAdjacent<T extends { readonly range: Range }>(items: readonly T[], text: (t: T) => string): T[] {
  const sorted = [...items].sort((a, b) => b.range.lo - a.range.lo);
  const out: T[] = [];
  for (const it of sorted) {
    const prev = out[out.length - 1];
    if (prev !== undefined && prev.range.lo === it.range.hi + 1 && text(prev) === text(it)) {
      out[out.length - 1] = { ...prev, range: { lo: it.range.lo, hi: prev.range.hi } };
    } else {
      out.push(it);
    }
  }
  return out;
}
