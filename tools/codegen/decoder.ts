/**
 * Emits `read<Struct>(r, version)` for every struct of a message, following Kafka's
 * MessageDataGenerator.generateClassReader. Decoders only read: the Reader's error is sticky, so a
 * truncated or corrupt frame yields neutral values and one `r.check()` by the caller reports it.
 * Fields absent from a version get their defaults; unknown tags are skipped.
 */
import { type Branch, Code, emitBranches, mergeAdjacent } from './code.js';
import { defaultLiteral } from './defaults.js';
import { fieldModes, flexibleCtx, taggedFields, taggedNullable, taggedRange } from './modes.js';
import { elemType, local, readFn, tsType } from './names.js';
import type { Field, FieldType, Message, Struct } from './schema.js';
import { condition, contains, intersect, isEmpty, type Range } from './versions.js';

/** One array element, or a non-array value that cannot be null. */
function readExpr(t: FieldType, flex: boolean): string {
  if (t.kind === 'struct') return `${readFn(t.struct)}(r, version)`;
  if (t.kind === 'array') throw new Error('nested arrays are not part of the schema language');
  switch (t.name) {
    case 'string':
      return flex ? 'r.compactString()' : 'r.string()';
    case 'bytes':
    case 'records':
      return flex ? 'r.compactBytes()' : 'r.bytes()';
    default:
      return `r.${t.name === 'bool' ? 'bool' : t.name}()`;
  }
}

/** A non-array field as an expression; `marker` reads the presence marker of a nullable struct. */
function valueExpr(f: Field, flex: boolean, nullable: boolean, marker = 'r.int8() < 0'): string {
  const t = f.type;
  if (!nullable) return readExpr(t, flex);
  if (t.kind === 'struct') return `${marker} ? null : ${readExpr(t, flex)}`;
  if (t.kind === 'primitive' && t.name === 'string') return flex ? 'r.compactNullableString()' : 'r.nullableString()';
  return flex ? 'r.compactNullableBytes()' : 'r.nullableBytes()';
}

const FIXED: Partial<Record<string, number>> = {
  bool: 1,
  int8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  float64: 8,
  uuid: 16,
};

/**
 * The fewest bytes one value of `t` can take on the wire: an array count larger than the bytes left
 * divided by this cannot be honest, and is rejected before a single element is built. For a struct,
 * only fields present in every version it is used in count (a safe lower bound for all of them).
 */
export function minEncodedSize(t: FieldType, flex: boolean, seen: ReadonlySet<Struct> = new Set()): number {
  if (t.kind === 'array') return flex ? 1 : 4;
  if (t.kind === 'primitive') {
    if (t.name === 'string') return flex ? 1 : 2;
    if (t.name === 'bytes' || t.name === 'records') return flex ? 1 : 4;
    return FIXED[t.name] ?? 0;
  }
  const st = t.struct;
  if (seen.has(st)) return 0;
  const inner = new Set(seen).add(st);
  let size = flex ? 1 : 0; // the tagged-field count
  for (const f of st.fields) {
    if (f.tag !== undefined || isEmpty(st.ctx)) continue;
    const always = intersect(f.versions, st.ctx);
    if (always.lo !== st.ctx.lo || always.hi !== st.ctx.hi) continue;
    const nullable = !isEmpty(intersect(f.nullable, st.ctx));
    size += f.type.kind === 'struct' && nullable ? 1 : minEncodedSize(f.type, flex, inner);
  }
  return size;
}

/**
 * The fewest bytes one value of `t` takes in exactly `version` (each field with its own flexibility).
 * Only for the check in {@link arrayRead}: the emitted bound uses {@link minEncodedSize}, one number
 * for every version the read runs in.
 */
function exactMinSize(t: FieldType, version: number, flex: boolean, seen: ReadonlySet<Struct> = new Set()): number {
  if (t.kind !== 'struct') return minEncodedSize(t, flex);
  if (seen.has(t.struct)) return 0;
  const inner = new Set(seen).add(t.struct);
  let size = flex ? 1 : 0;
  for (const f of t.struct.fields) {
    if (!contains(f.versions, version) || contains(f.tagged, version)) continue;
    const fieldFlex = contains(f.flexible, version);
    size +=
      f.type.kind === 'struct' && contains(f.nullable, version) ? 1 : exactMinSize(f.type, version, fieldFlex, inner);
  }
  return size;
}

/** Statements that read an array field into `x`, in the versions `range`. */
function arrayRead(c: Code, f: Field, x: string, flex: boolean, nullable: boolean, path: string, range: Range): void {
  const t = f.type;
  if (t.kind !== 'array') throw new Error('not an array');
  // The count is bounded by the bytes left at one byte per element at least. An element that can
  // take no bytes at all (a struct with no fields in some version) would make that bound refuse
  // honest frames: stop here, so that a schema refresh that brings one cannot go unnoticed.
  for (let v = range.lo; v <= range.hi; v++) {
    if (exactMinSize(t.elem, v, flex) === 0)
      throw new Error(`${path}: an element can take 0 bytes in version ${v}; bound its count another way`);
  }
  const min = Math.max(1, minEncodedSize(t.elem, flex));
  c.line(`const $n = ${flex ? `r.compactArrayLength(${min})` : `r.arrayLength(${min})`};`);
  // The loop stops at the first failed read: a hostile count must not build one object per byte.
  const fill = new Code()
    .line(`const $a: ${elemType(t)}[] = [];`)
    .line(`for (let $i = 0; $i < $n && !r.failed; $i++) $a.push(${readExpr(t.elem, flex)});`)
    .line(`${x} = $a;`);
  if (nullable) {
    c.line(`if ($n < 0) ${x} = null;`).line('else {').indented(fill).line('}');
  } else {
    c.line(`if ($n < 0) r.fail('null for non-nullable ${path}');`).append(fill);
  }
}

/** `c0 ? e0 : c1 ? e1 : e2` over disjoint version runs, newest first. */
function ternary(branches: { range: Range; expr: string }[], ctx: Range): string {
  const sorted = mergeAdjacent(branches, (b) => b.expr);
  let top = ctx.hi;
  let out = '';
  for (const b of sorted) {
    const cond = condition(b.range, { lo: ctx.lo, hi: top });
    top = b.range.lo - 1;
    if (cond === 'true') return out + b.expr;
    out += `${cond} ? ${b.expr} : `;
  }
  throw new Error('version runs do not cover the struct versions');
}

export function emitReader(out: Code, m: Message, s: Struct): void {
  out.open(`function ${readFn(s)}(r: Reader, version: number): ${s.tsName} {`);
  for (const f of s.fields) {
    const x = local(f);
    const path = `${s.tsName}.${f.prop}`;
    const modes = fieldModes(m, s, f);
    const hasTag = modes.some((sg) => sg.value.kind === 'tagged');
    if (f.type.kind !== 'array' && !hasTag) {
      const branches = modes.map((sg) => ({
        range: sg,
        expr: sg.value.kind === 'plain' ? valueExpr(f, sg.value.flex, sg.value.nullable) : defaultLiteral(f),
      }));
      out.line(`const ${x} = ${ternary(branches, s.ctx)};`);
      continue;
    }
    out.line(hasTag ? `let ${x}: ${tsType(f)} = ${defaultLiteral(f)};` : `let ${x}: ${tsType(f)};`);
    const branches: Branch[] = modes.map((sg) => {
      const body = new Code();
      const mode = sg.value;
      if (mode.kind === 'plain') {
        if (f.type.kind === 'array') arrayRead(body, f, x, mode.flex, mode.nullable, path, sg);
        else body.line(`${x} = ${valueExpr(f, mode.flex, mode.nullable)};`);
      } else if (mode.kind === 'absent' && !hasTag) {
        body.line(`${x} = ${defaultLiteral(f)};`);
      }
      return { range: sg, body };
    });
    emitBranches(out, branches, s.ctx, true);
  }
  emitTaggedSection(out, m, s);
  const props = s.fields.map((f) => (local(f) === f.prop ? f.prop : `${f.prop}: ${local(f)}`));
  out.line(`return { ${props.join(', ')} };`);
  out.close();
  out.line('');
}

function emitTaggedSection(out: Code, m: Message, s: Struct): void {
  const ctx = flexibleCtx(m, s);
  if (isEmpty(ctx)) return;
  const body = new Code();
  const tagged = taggedFields(m, s);
  if (tagged.length === 0) {
    body.line('r.skipTaggedFields();');
  } else {
    body.line('const $count = r.taggedCount();');
    body.open('for (let $t = 0; $t < $count && !r.failed; $t++) {');
    body.line('const $tag = r.uvarint();', 'const $size = r.uvarint();', 'const $end = r.pos + $size;');
    body.open('switch ($tag) {');
    for (const f of tagged) {
      const x = local(f);
      const c = new Code();
      const flexNullable = taggedNullable(f);
      if (f.type.kind === 'array')
        arrayRead(c, f, x, true, flexNullable, `${s.tsName}.${f.prop}`, taggedRange(m, s, f));
      else c.line(`${x} = ${valueExpr(f, true, flexNullable, 'r.uvarint() === 0')};`);
      const when = condition(taggedRange(m, s, f), ctx);
      body.open(`case ${f.tag}: {`);
      if (when === 'true') body.append(c);
      else body.line(`if (${when}) {`).indented(c).line('} else r.skip($size);');
      body.line('break;').close();
    }
    body.line('default:', '  r.skip($size);');
    body.close();
    body.line("if (r.pos !== $end) r.fail('tagged field ' + $tag + ': its size does not match its content');");
    body.close();
  }
  emitBranches(out, [{ range: ctx, body }], s.ctx);
}
