/**
 * Field defaults, following Kafka's FieldSpec.fieldDefault: integers may be hex (`0x7fffffff`),
 * `"null"` is allowed for nullable strings, bytes, arrays and structs, records default to null,
 * arrays to empty, structs to a struct of defaults and uuids to the all-zero uuid.
 *
 * Three views of the same rule: a TypeScript literal for generated code, an "is default" test for
 * generated code, and a runtime value (the round-trip tests fill absent fields with it).
 */
import { defaultFn, isDefaultFn, typeNullable } from './names.js';
import type { Field, FieldType, Struct } from './schema.js';

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

function parseInteger(f: Field): bigint {
  const s = f.default.trim();
  if (s === '') return 0n;
  const neg = s.startsWith('-');
  const body = neg ? s.slice(1) : s;
  const v = body.startsWith('0x') ? BigInt(body) : BigInt(body);
  return neg ? -v : v;
}

const INT_RANGES: Record<string, [bigint, bigint]> = {
  int8: [-128n, 127n],
  int16: [-32768n, 32767n],
  uint16: [0n, 65535n],
  int32: [-2147483648n, 2147483647n],
  uint32: [0n, 4294967295n],
  int64: [-9223372036854775808n, 9223372036854775807n],
};

/** The default as a runtime value of the generated representation (structs built recursively). */
export function defaultValue(f: Field): unknown {
  const t = f.type;
  if (t.kind === 'array') return f.default === 'null' ? null : [];
  if (t.kind === 'struct') return f.default === 'null' ? null : defaultStruct(t.struct);
  switch (t.name) {
    case 'bool': {
      const s = f.default.toLowerCase();
      if (s !== '' && s !== 'true' && s !== 'false')
        throw new Error(`Invalid bool default for ${f.name}: ${f.default}`);
      return s === 'true';
    }
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
    case 'int64': {
      const v = parseInteger(f);
      const [lo, hi] = INT_RANGES[t.name]!;
      if (v < lo || v > hi) throw new Error(`Default ${f.default} of ${f.name} is out of range for ${t.name}`);
      return t.name === 'int64' ? v : Number(v);
    }
    case 'float64':
      return f.default === '' ? 0 : Number(f.default);
    case 'string':
      return f.default === 'null' ? null : f.default;
    case 'uuid':
      return f.default === '' ? ZERO_UUID : f.default;
    case 'bytes':
      if (f.default !== '' && f.default !== 'null') throw new Error(`Invalid bytes default for ${f.name}`);
      return f.default === 'null' ? null : Buffer.alloc(0);
    case 'records':
      return null;
  }
}

export function defaultStruct(s: Struct): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of s.fields) o[f.prop] = defaultValue(f);
  return o;
}

/** The default as a TypeScript expression. */
export function defaultLiteral(f: Field): string {
  const t = f.type;
  if (t.kind === 'array') return f.default === 'null' ? 'null' : '[]';
  if (t.kind === 'struct') return f.default === 'null' ? 'null' : `${defaultFn(t.struct)}()`;
  const v = defaultValue(f);
  if (v === null) return 'null';
  switch (t.name) {
    case 'int64':
      return `${v as bigint}n`;
    case 'string':
      return quote(v as string);
    case 'uuid':
      return v === ZERO_UUID ? 'ZERO_UUID' : quote(v as string);
    case 'bytes':
      return 'EMPTY_BUFFER';
    default:
      return String(v);
  }
}

/** A single-quoted TypeScript string literal. */
export function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

function isSimple(t: FieldType): boolean {
  return t.kind === 'primitive' && t.name !== 'bytes' && t.name !== 'records';
}

/** A TypeScript test that `expr` (already default-filled) equals the field's default. */
export function isDefaultExpr(f: Field, expr: string): string {
  const t = f.type;
  if (isSimple(t) || f.default === 'null' || (t.kind === 'primitive' && t.name === 'records')) {
    return `${expr} === ${defaultLiteral(f)}`;
  }
  const test = t.kind === 'struct' ? `${isDefaultFn(t.struct)}(${expr})` : `${expr}.length === 0`;
  return typeNullable(f) ? `${expr} !== null && ${test}` : test;
}

/** The negation of {@link isDefaultExpr}, written without a leading `!(` where that reads better. */
export function nonDefaultExpr(f: Field, expr: string): string {
  const t = f.type;
  if (isSimple(t) || f.default === 'null' || (t.kind === 'primitive' && t.name === 'records')) {
    return `${expr} !== ${defaultLiteral(f)}`;
  }
  const test = t.kind === 'struct' ? `!${isDefaultFn(t.struct)}(${expr})` : `${expr}.length !== 0`;
  return typeNullable(f) ? `${expr} === null || ${test}` : test;
}

/** Structs that need default/isDefault helpers: those held directly (not in arrays) by a field. */
export function structsNeedingDefaults(structs: readonly Struct[]): Set<Struct> {
  const out = new Set<Struct>();
  const add = (s: Struct): void => {
    if (out.has(s)) return;
    out.add(s);
    for (const f of s.fields) if (f.type.kind === 'struct') add(f.type.struct);
  };
  for (const s of structs) for (const f of s.fields) if (f.type.kind === 'struct') add(f.type.struct);
  return out;
}
