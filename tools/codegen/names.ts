/** Names of generated files, functions and locals, and the TypeScript type of each field. */
import type { Field, FieldType, Message, Primitive, Struct } from './schema.js';
import { contains, intersect, isEmpty } from './versions.js';

/** `JoinGroup` → `join-group`, `KRaftVersionRecord` → `k-raft-version-record`. */
export function kebab(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}

/** The API name shared by a request and its response: `MetadataRequest` → `Metadata`. */
export function apiName(m: Message): string {
  return m.name.replace(/(Request|Response)$/, '');
}

/** The module a message is emitted into (request and response share one). */
export function moduleName(m: Message): string {
  return kebab(m.type === 'request' || m.type === 'response' ? apiName(m) : m.name);
}

export const readFn = (s: Struct) => `read${s.tsName}`;
export const writeFn = (s: Struct) => `write${s.tsName}`;
export const defaultFn = (s: Struct) => `default${s.tsName}`;
export const isDefaultFn = (s: Struct) => `isDefault${s.tsName}`;

const RESERVED = new Set(
  (
    'r w v version break case catch class const continue debugger default delete do else enum export extends false ' +
    'finally for function if import in instanceof new null return super switch this throw true try typeof var void ' +
    'while with yield let static implements interface package private protected public await'
  ).split(' '),
);

/** The local variable holding a field in generated functions (parameters and keywords are avoided). */
export function local(f: Field): string {
  return RESERVED.has(f.prop) ? `_${f.prop}` : f.prop;
}

const TS_PRIMITIVE: Record<Primitive, string> = {
  bool: 'boolean',
  int8: 'number',
  int16: 'number',
  uint16: 'number',
  int32: 'number',
  uint32: 'number',
  int64: 'bigint',
  float64: 'number',
  string: 'string',
  bytes: 'Buffer',
  uuid: 'string',
  records: 'Buffer',
};

function baseType(t: FieldType): string {
  if (t.kind === 'primitive') return TS_PRIMITIVE[t.name];
  if (t.kind === 'struct') return t.struct.tsName;
  return `${baseType(t.elem)}[]`;
}

/**
 * True when the field's TypeScript type admits null: it is nullable in some version where it is
 * present, or it is a `records` field (Kafka's default for records is null).
 */
export function typeNullable(f: Field): boolean {
  if (f.type.kind === 'primitive' && f.type.name === 'records') return true;
  return !isEmpty(intersect(f.nullable, f.versions)) || f.default === 'null';
}

export function tsType(f: Field): string {
  return typeNullable(f) ? `${baseType(f.type)} | null` : baseType(f.type);
}

/** Element type of an array field (arrays elements are never null). */
export function elemType(t: FieldType): string {
  return t.kind === 'array' ? baseType(t.elem) : baseType(t);
}

/** Whether the messages of this kind are built by callers (so defaulted fields may be omitted). */
export function isInput(m: Message): boolean {
  return m.type === 'request' || m.type === 'data' || m.type === 'header';
}

/**
 * The input-optionality rule. In request, header and data interfaces a field is optional when the
 * encoder can fill it in: it has an explicit schema default, it is tagged, or it is not present in
 * every version the enclosing struct exists in. Fields present in every such version without an
 * explicit default stay required. Response interfaces list every field as required.
 */
export function isOptional(m: Message, s: Struct, f: Field): boolean {
  if (!isInput(m)) return false;
  if (f.hasDefault || !isEmpty(f.tagged)) return true;
  return !(contains(f.versions, s.ctx.lo) && contains(f.versions, s.ctx.hi));
}

/** Fixed wire size of a primitive, or undefined for variable-length types. */
export function fixedSize(t: FieldType): number | undefined {
  if (t.kind !== 'primitive') return undefined;
  switch (t.name) {
    case 'bool':
    case 'int8':
      return 1;
    case 'int16':
    case 'uint16':
      return 2;
    case 'int32':
    case 'uint32':
      return 4;
    case 'int64':
    case 'float64':
      return 8;
    case 'uuid':
      return 16;
    default:
      return undefined;
  }
}
