/**
 * Builds test values from the schemas themselves: for a message version, every field present in that
 * version gets a deterministic non-default value (arrays of two elements, nested structs, tagged
 * fields set), or null where the 'nulls' variant allows it; fields absent from the version get their
 * defaults, which is what a decoder returns for them.
 */
import { defaultValue } from '../../../tools/codegen/defaults.js';
import type { Field, FieldType, Message, Primitive, Struct } from '../../../tools/codegen/schema.js';
import { contains } from '../../../tools/codegen/versions.js';

/**
 * 'full': non-default values everywhere; 'nulls': the same with null wherever the version allows it;
 * 'defaults': every field at its default (so tagged fields are omitted), but arrays still hold one
 * element so nested structs are exercised too.
 */
export type Variant = 'full' | 'nulls' | 'defaults';

export const VARIANTS: readonly Variant[] = ['full', 'nulls', 'defaults'];

const ZERO: Record<Primitive, unknown> = {
  bool: false,
  int8: 0,
  int16: 0,
  uint16: 0,
  int32: 0,
  uint32: 0,
  int64: 0n,
  float64: 0,
  string: '',
  bytes: Buffer.alloc(0),
  uuid: 'AAAAAAAAAAAAAAAAAAAAAA',
  records: Buffer.alloc(0),
};

/** A small deterministic PRNG (mulberry32), so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INT_BOUNDS: Partial<Record<Primitive, [number, number]>> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};

const STRINGS = ['topic-a', 'grüße ✓', 'x', 'consumer-group-1', 'ключ', '__consumer_offsets'];

export class ValueBuilder {
  private readonly next: () => number;

  constructor(
    private readonly msg: Message,
    private readonly version: number,
    private readonly variant: Variant,
    seed = 1,
  ) {
    this.next = rng(seed * 7919 + version);
  }

  struct(s: Struct = this.msg.root): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    for (const f of s.fields) o[f.prop] = this.field(f);
    return o;
  }

  private field(f: Field): unknown {
    if (!contains(f.versions, this.version)) return defaultValue(f);
    if (this.variant === 'nulls' && contains(f.nullable, this.version)) return null;
    if (this.variant === 'defaults') {
      const t = f.type;
      if (t.kind === 'array') {
        const e = t.elem;
        return [e.kind === 'struct' ? this.struct(e.struct) : e.kind === 'primitive' ? ZERO[e.name] : null];
      }
      const def = defaultValue(f);
      // records default to null even in versions where they may not be null
      if (def === null && !contains(f.nullable, this.version)) return Buffer.alloc(0);
      return def;
    }
    return this.value(f.type, f);
  }

  private value(t: FieldType, f: Field): unknown {
    if (t.kind === 'array') return [this.value(t.elem, f), this.value(t.elem, f)];
    if (t.kind === 'struct') return this.struct(t.struct);
    const def = defaultValue(f);
    const r = this.next;
    switch (t.name) {
      case 'bool':
        return typeof def === 'boolean' ? !def : true;
      case 'int64': {
        const hi = BigInt(Math.floor(r() * 4294967296));
        const lo = BigInt(Math.floor(r() * 4294967296));
        const v = BigInt.asIntN(64, (hi << 32n) | lo);
        return v === def ? v + 1n : v;
      }
      case 'float64': {
        // Never a whole number: Kafka's JSON converter insists on a floating-point literal.
        return Math.round((r() - 0.5) * 1e6) + 0.25;
      }
      case 'string': {
        const v = `${STRINGS[Math.floor(r() * STRINGS.length)]}${Math.floor(r() * 100)}`;
        return v === def ? `${v}!` : v;
      }
      case 'bytes':
      case 'records': {
        const n = t.name === 'records' ? 61 : 1 + Math.floor(r() * 5);
        return Buffer.from(Array.from({ length: n }, () => Math.floor(r() * 256)));
      }
      case 'uuid': {
        const b = Buffer.from(Array.from({ length: 16 }, () => Math.floor(r() * 256)));
        b[0] = b[0]! | 1; // never the all-zero uuid
        return b.toString('base64url');
      }
      default: {
        const [lo, hi] = INT_BOUNDS[t.name]!;
        const v = lo + Math.floor(r() * (hi - lo + 1));
        return v === def ? (v === hi ? v - 1 : v + 1) : v;
      }
    }
  }
}
