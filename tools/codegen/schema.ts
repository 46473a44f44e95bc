/**
 * Reads Kafka's JSON message schemas (JSON with `//` comments) into a model the emitters walk.
 * The rules mirror Kafka's own generator (`generator/src/main/java/org/apache/kafka/message/`):
 * FieldSpec (versions default to taggedVersions, defaults as strings), StructRegistry
 * (commonStructs, inline struct definitions) and MessageSpec.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL, hull, intersect, NONE, parseRange, type Range } from './versions.js';

export type Primitive =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'float64'
  | 'string'
  | 'bytes'
  | 'uuid'
  | 'records';

export type FieldType =
  | { readonly kind: 'primitive'; readonly name: Primitive }
  | { readonly kind: 'struct'; readonly struct: Struct }
  | { readonly kind: 'array'; readonly elem: FieldType };

export interface Field {
  /** Name as in the schema, e.g. `ThrottleTimeMs`. */
  readonly name: string;
  /** Property name in TypeScript, e.g. `throttleTimeMs`. */
  readonly prop: string;
  readonly type: FieldType;
  readonly versions: Range;
  readonly nullable: Range;
  readonly tagged: Range;
  readonly tag: number | undefined;
  /** The versions in which this field uses compact encodings (message-level unless overridden). */
  readonly flexible: Range;
  /** Raw default ('' when the schema gives none), always as a string as Kafka reads it. */
  readonly default: string;
  readonly hasDefault: boolean;
  readonly ignorable: boolean;
  readonly about: string;
}

export interface Struct {
  /** Struct name in the schema, e.g. `MetadataRequestTopic`. */
  readonly name: string;
  /** TypeScript interface name, e.g. `MetadataRequestTopic`. */
  readonly tsName: string;
  readonly fields: Field[];
  /** Hull of the version contexts the struct is used in (within the message's valid versions). */
  ctx: Range;
}

export type MessageType = 'request' | 'response' | 'header' | 'data';

export interface Message {
  readonly file: string;
  readonly name: string;
  readonly type: MessageType;
  readonly apiKey: number | undefined;
  readonly valid: Range;
  readonly flexible: Range;
  readonly unstable: boolean;
  /** The top-level struct; its tsName is the message name. */
  readonly root: Struct;
  /** Every struct of the message, root first, in order of first appearance. */
  readonly structs: Struct[];
}

/** Removes `//` and `/* *\/` comments outside string literals, keeping line structure. */
export function stripComments(text: string): string {
  let out = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === '"') {
      const start = i++;
      while (i < n && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      out += text.slice(start, ++i);
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

interface RawField {
  name: string;
  type: string;
  versions?: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: string | number | boolean;
  ignorable?: boolean;
  flexibleVersions?: string;
  about?: string;
  fields?: RawField[];
}

interface RawMessage {
  name: string;
  type: MessageType;
  apiKey?: number;
  validVersions: string;
  flexibleVersions: string;
  latestVersionUnstable?: boolean;
  fields?: RawField[];
  commonStructs?: { name: string; versions: string; fields: RawField[] }[];
}

const PRIMITIVES = new Set<string>([
  'bool',
  'int8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'float64',
  'string',
  'bytes',
  'uuid',
  'records',
]);

export function lowerCamel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

export function parseMessage(file: string, text: string): Message {
  const raw = JSON.parse(stripComments(text)) as RawMessage;
  const valid = parseRange(raw.validVersions, NONE);
  const flexible = parseRange(raw.flexibleVersions, NONE);
  const structs: Struct[] = [];
  const byName = new Map<string, Struct>();
  const tsName = (n: string) => (n.startsWith(raw.name) ? n : raw.name + n);

  const define = (name: string, isRoot: boolean): Struct => {
    if (byName.has(name)) throw new Error(`${file}: struct ${name} is defined twice`);
    const s: Struct = { name, tsName: isRoot ? raw.name : tsName(name), fields: [], ctx: NONE };
    byName.set(name, s);
    structs.push(s);
    return s;
  };
  // Common structs first, so that fields can refer to them by type name.
  const pending: [Struct, RawField[]][] = [];
  for (const cs of raw.commonStructs ?? []) pending.push([define(cs.name, false), cs.fields]);

  const parseType = (f: RawField): FieldType => {
    const t = f.type.startsWith('[]') ? f.type.slice(2) : f.type;
    let base: FieldType;
    if (PRIMITIVES.has(t)) {
      base = { kind: 'primitive', name: t as Primitive };
    } else if (f.fields !== undefined) {
      const s = define(t, false);
      pending.push([s, f.fields]);
      base = { kind: 'struct', struct: s };
    } else {
      const s = byName.get(t);
      if (s === undefined) throw new Error(`${file}: field ${f.name} has unknown type ${f.type}`);
      base = { kind: 'struct', struct: s };
    }
    return f.type.startsWith('[]') ? { kind: 'array', elem: base } : base;
  };

  const parseField = (f: RawField): Field => {
    const tagged = parseRange(f.taggedVersions, NONE);
    const versions = parseRange(f.versions, f.taggedVersions === undefined ? ALL : tagged);
    if (f.versions === undefined && f.taggedVersions === undefined)
      throw new Error(`${file}: ${f.name} has no versions`);
    return {
      name: f.name,
      prop: lowerCamel(f.name),
      type: parseType(f),
      versions,
      nullable: parseRange(f.nullableVersions, NONE),
      tagged,
      tag: f.tag,
      flexible: parseRange(f.flexibleVersions, flexible),
      default: f.default === undefined ? '' : String(f.default),
      hasDefault: f.default !== undefined,
      ignorable: f.ignorable === true,
      about: f.about ?? '',
    };
  };

  const root = define(raw.name, true);
  root.fields.push(...(raw.fields ?? []).map(parseField));
  // Inline struct definitions are discovered while parsing fields; keep going until none are left.
  for (let i = 0; i < pending.length; i++) {
    const [s, fs] = pending[i]!;
    s.fields.push(...fs.map(parseField));
  }
  // Root first, then structs in order of first definition.
  structs.splice(structs.indexOf(root), 1);
  structs.unshift(root);

  const msg: Message = {
    file,
    name: raw.name,
    type: raw.type,
    apiKey: raw.apiKey,
    valid,
    flexible,
    unstable: raw.latestVersionUnstable === true,
    root,
    structs,
  };
  computeContexts(msg);
  return msg;
}

/** Works out, for every struct, the versions in which encoders/decoders can be called for it. */
function computeContexts(msg: Message): void {
  const visit = (s: Struct, ctx: Range): void => {
    const before = s.ctx;
    s.ctx = hull(s.ctx, ctx);
    if (before.lo === s.ctx.lo && before.hi === s.ctx.hi) return;
    for (const f of s.fields) {
      const inner = intersect(s.ctx, f.versions);
      const st = structOf(f.type);
      if (st !== undefined && inner.lo <= inner.hi) visit(st, inner);
    }
  };
  visit(msg.root, msg.valid);
}

/** The struct a field holds, directly or as array elements. */
export function structOf(t: FieldType): Struct | undefined {
  if (t.kind === 'struct') return t.struct;
  if (t.kind === 'array' && t.elem.kind === 'struct') return t.elem.struct;
  return undefined;
}

/**
 * Loads every schema of a folder, sorted by file name. APIs removed from Kafka keep a schema with
 * `"validVersions": "none"` and no fields (LeaderAndIsr, StopReplica, UpdateMetadata,
 * ControlledShutdown in 4.x); those are dropped here.
 */
export function loadSchemas(dir: string): Message[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => parseMessage(f, readFileSync(join(dir, f), 'utf8')))
    .filter((m) => m.valid.lo <= m.valid.hi);
}
