/**
 * Emits `write<Struct>(w, version, v)` for every struct of a message, following Kafka's
 * MessageDataGenerator.generateClassWriter: fields in schema order, then (in flexible versions) the
 * tagged-field section in ascending tag order, each tagged field only when it differs from its
 * default. A field missing from the version being written must hold its default unless the schema
 * marks it `ignorable`; otherwise the encoder throws UnsupportedVersionError.
 */
import { type Branch, Code, emitBranches } from './code.js';
import { defaultLiteral, isDefaultExpr, nonDefaultExpr } from './defaults.js';
import { fieldModes, flexibleCtx, taggedFields, taggedNullable, taggedRange } from './modes.js';
import { fixedSize, isDefaultFn, isOptional, local, typeNullable, writeFn } from './names.js';
import type { Field, FieldType, Message, Struct } from './schema.js';
import { condition, isEmpty } from './versions.js';

const WRITE_PRIMITIVE: Record<string, string> = {
  bool: 'bool',
  int8: 'int8',
  int16: 'int16',
  uint16: 'uint16',
  int32: 'int32',
  uint32: 'uint32',
  int64: 'int64',
  float64: 'float64',
  uuid: 'uuid',
};

/** One array element (elements are never null). */
function elemWrite(t: FieldType, e: string, flex: boolean): string {
  if (t.kind === 'struct') return `${writeFn(t.struct)}(w, version, ${e});`;
  if (t.kind === 'array') throw new Error('nested arrays are not part of the schema language');
  if (t.name === 'string') return flex ? `w.compactNullableString(${e});` : `w.nullableString(${e});`;
  if (t.name === 'bytes' || t.name === 'records')
    return flex ? `w.compactNullableBytes(${e});` : `w.nullableBytes(${e});`;
  return `w.${WRITE_PRIMITIVE[t.name]}(${e});`;
}

/** A field written inline (or as the body of a tagged field, which is always compact). */
function plainWrite(c: Code, f: Field, x: string, flex: boolean, nullable: boolean, path: string): void {
  const t = f.type;
  if (typeNullable(f) && !nullable) c.line(`if (${x} === null) nullValue('${path}', version);`);
  if (t.kind === 'array') {
    const len = (n: string) => (flex ? `w.uvarint(${n} + 1);` : `w.int32(${n});`);
    const body = new Code().line(len(`${x}.length`), `for (const $e of ${x}) ${elemWrite(t.elem, '$e', flex)}`);
    if (nullable)
      c.line(`if (${x} === null) ${flex ? 'w.uvarint(0);' : 'w.int32(-1);'}`)
        .line('else {')
        .indented(body)
        .line('}');
    else c.append(body);
  } else if (t.kind === 'struct') {
    if (nullable) {
      c.line(`if (${x} === null) w.int8(-1);`);
      c.open('else {')
        .line('w.int8(1);', elemWrite(t, x, flex))
        .close();
    } else {
      c.line(elemWrite(t, x, flex));
    }
  } else {
    c.line(elemWrite(t, x, flex));
  }
}

function tagWrite(c: Code, f: Field, x: string, path: string): void {
  c.line(`w.uvarint(${f.tag});`);
  const size = fixedSize(f.type);
  if (size !== undefined) {
    c.line(`w.uvarint(${size});`, elemWrite(f.type, x, true));
    return;
  }
  const nullable = taggedNullable(f);
  if (f.type.kind === 'struct' && nullable) {
    // A nullable struct in a tagged field has a varint presence marker (0 = null), not an int8.
    c.line(`if (${x} === null) w.uvarint(1).uvarint(0);`);
    c.open('else {').line('const $m = w.reserveUvarintSize();', 'w.uvarint(1);', elemWrite(f.type, x, true));
    c.line('w.patchUvarintSize($m);').close();
    return;
  }
  c.line('const $m = w.reserveUvarintSize();');
  plainWrite(c, f, x, true, nullable, path);
  c.line('w.patchUvarintSize($m);');
}

/** `const x = v.x` with the default filled in when the caller may omit the field. */
function fieldLocal(m: Message, s: Struct, f: Field): string {
  const x = local(f);
  if (!isOptional(m, s, f)) return `const ${x} = v.${f.prop};`;
  const def = defaultLiteral(f);
  if (typeNullable(f) && def !== 'null') return `const ${x} = v.${f.prop} === undefined ? ${def} : v.${f.prop};`;
  return `const ${x} = v.${f.prop} ?? ${def};`;
}

export function emitWriter(out: Code, m: Message, s: Struct): void {
  out.open(`function ${writeFn(s)}(w: Writer, version: number, v: ${s.tsName}): void {`);
  for (const f of s.fields) {
    const x = local(f);
    const path = `${s.tsName}.${f.prop}`;
    const branches: Branch[] = [];
    let used = false;
    for (const seg of fieldModes(m, s, f)) {
      const body = new Code();
      const mode = seg.value;
      if (mode.kind === 'plain') {
        plainWrite(body, f, x, mode.flex, mode.nullable, path);
        used = true;
      } else if (mode.kind === 'tagged') {
        used = true;
      } else if (!f.ignorable) {
        body.line(`if (${nonDefaultExpr(f, x)}) nonDefault('${path}', version);`);
        used = true;
      }
      branches.push({ range: seg, body });
    }
    if (!used) continue;
    out.line(fieldLocal(m, s, f));
    emitBranches(out, branches, s.ctx);
  }
  emitTaggedSection(out, m, s);
  out.close();
  out.line('');
}

function emitTaggedSection(out: Code, m: Message, s: Struct): void {
  const ctx = flexibleCtx(m, s);
  if (isEmpty(ctx)) return;
  const body = new Code();
  const tagged = taggedFields(m, s);
  if (tagged.length === 0) {
    body.line('w.uvarint(0);');
  } else {
    for (const f of tagged) {
      const x = local(f);
      const when = condition(taggedRange(m, s, f), ctx);
      const differs = f.default === 'null' ? `${x} !== null` : nonDefaultExpr(f, x);
      body.line(`const $t${f.tag} = ${when === 'true' ? '' : `${when} && `}${paren(differs)};`);
    }
    body.line(`w.uvarint(${tagged.map((f) => `($t${f.tag} ? 1 : 0)`).join(' + ')});`);
    for (const f of tagged) {
      const c = new Code();
      tagWrite(c, f, local(f), `${s.tsName}.${f.prop}`);
      body.line(`if ($t${f.tag}) {`).indented(c).line('}');
    }
  }
  emitBranches(out, [{ range: ctx, body }], s.ctx);
}

function paren(e: string): string {
  return e.includes('||') ? `(${e})` : e;
}

/** `default<Struct>()` and `isDefault<Struct>(v)`, for structs held directly by a field. */
export function emitDefaultHelpers(out: Code, m: Message, s: Struct): void {
  const props = s.fields.map((f) => `${f.prop}: ${defaultLiteral(f)}`);
  out
    .open(`function default${s.tsName}(): ${s.tsName} {`)
    .line(`return { ${props.join(', ')} };`)
    .close()
    .line('');
  const tests = s.fields.map((f) => {
    const e = isDefaultExpr(f, `v.${f.prop}`);
    return isOptional(m, s, f) ? `(v.${f.prop} === undefined || ${e})` : e.includes('&&') ? `(${e})` : e;
  });
  out.open(`function ${isDefaultFn(s)}(v: ${s.tsName}): boolean {`);
  out
    .line(`return ${tests.length === 0 ? 'true' : tests.join(' && ')};`)
    .close()
    .line('');
}
