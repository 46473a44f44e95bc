// kcat's output format strings (`-f`), compiled once into a list of parts. Tokens, with kcat's
// meanings: %t topic, %p partition, %o offset, %k key, %K key length (-1 for null), %s value,
// %S value length (-1 for null), %T timestamp (ms), %h headers (`k=v,k2=v2`), %% a percent sign.
// Escapes in the literal text: \n \r \t, \xHH, \NNN (decimal, as kcat's strtoul), any other
// `\c` is c itself. Null keys and values print nothing, as kcat without -Z.
import type { ConsumerRecord } from '../consumer/record.js';
import { usage } from './fail.js';

type Part = Buffer | ((r: ConsumerRecord) => Buffer | string);

const EMPTY = Buffer.alloc(0);

function headers(r: ConsumerRecord): string {
  return r.headers.map((h) => `${h.key}=${h.value === null ? '' : h.value.toString('utf8')}`).join(',');
}

const TOKENS: Record<string, (r: ConsumerRecord) => Buffer | string> = {
  t: (r) => r.topic,
  p: (r) => String(r.partition),
  o: (r) => String(r.offset),
  k: (r) => r.key ?? EMPTY,
  K: (r) => String(r.key === null ? -1 : r.key.length),
  s: (r) => r.value ?? EMPTY,
  S: (r) => String(r.value === null ? -1 : r.value.length),
  T: (r) => String(r.timestamp),
  h: headers,
};

/** Resolves kcat's backslash escapes in literal text. */
export function unescapeKcat(text: string): Buffer {
  const out: number[] = [];
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c !== 0x5c || i + 1 >= bytes.length) {
      out.push(c);
      continue;
    }
    const n = String.fromCharCode(bytes[++i]!);
    if (n === 'n') out.push(0x0a);
    else if (n === 't') out.push(0x09);
    else if (n === 'r') out.push(0x0d);
    else if (n === 'x' || (n >= '0' && n <= '9')) {
      const re = n === 'x' ? /^[0-9a-fA-F]+/ : /^[0-9]+/;
      const rest = bytes.subarray(n === 'x' ? i + 1 : i).toString('latin1');
      const m = re.exec(rest);
      if (!m) {
        if (n === 'x') out.push(0); // kcat: strtoul of nothing is 0
        continue;
      }
      out.push(Number.parseInt(m[0], n === 'x' ? 16 : 10) & 0xff);
      i = (n === 'x' ? i + 1 : i) + m[0].length - 1;
    } else out.push(bytes[i]!);
  }
  return Buffer.from(out);
}

export type Formatter = (r: ConsumerRecord) => Buffer;

/** Compiles a kcat format string; an unknown or trailing `%` is a usage error naming it. */
export function compileFormat(fmt: string): Formatter {
  const parts: Part[] = [];
  let lit = '';
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i]!;
    if (c !== '%') {
      lit += c;
      continue;
    }
    const t = fmt[++i];
    if (t === undefined) throw usage(`bad format string "${fmt}": empty formatter at the end (use %% for a %)`);
    if (t === '%') {
      lit += '%';
      continue;
    }
    const fn = TOKENS[t];
    if (!fn)
      throw usage(`bad format string "${fmt}": unsupported formatter %${t} (known: %t %p %o %k %K %s %S %T %h %%)`);
    if (lit) parts.push(unescapeKcat(lit));
    lit = '';
    parts.push(fn);
  }
  if (lit) parts.push(unescapeKcat(lit));
  return (r) => {
    const chunks: Buffer[] = [];
    for (const p of parts) {
      if (Buffer.isBuffer(p)) chunks.push(p);
      else {
        const v = p(r);
        chunks.push(typeof v === 'string' ? Buffer.from(v, 'utf8') : v);
      }
    }
    return Buffer.concat(chunks);
  };
}

/** kcat's `-J` shape, one JSON object per line; keys and values decoded by `decode`. */
export function jsonFormatter(decode: (b: Buffer | null) => unknown): Formatter {
  return (r) =>
    Buffer.from(
      `${JSON.stringify({
        topic: r.topic,
        partition: r.partition,
        offset: r.offset,
        tstype: 'create',
        ts: r.timestamp,
        broker: -1,
        headers: r.headers.length ? r.headers.flatMap((h) => [h.key, h.value?.toString('utf8') ?? null]) : null,
        key: decode(r.key),
        payload: decode(r.value),
      })}\n`,
    );
}
