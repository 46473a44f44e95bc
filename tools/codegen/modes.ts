/**
 * How one field is laid out on the wire in each version of its struct: absent, in the tagged-field
 * section, or inline — and then whether compact (flexible) and whether null is allowed. The emitters
 * switch on these runs of versions with straight-line `version >= n` branches.
 */
import type { Field, Message, Struct } from './schema.js';
import { contains, intersect, type Range, type Segment, segments } from './versions.js';

export type Mode =
  | { readonly kind: 'absent' }
  | { readonly kind: 'tagged' }
  | { readonly kind: 'plain'; readonly flex: boolean; readonly nullable: boolean };

const key = (m: Mode) => (m.kind === 'plain' ? `plain:${m.flex}:${m.nullable}` : m.kind);

export function fieldModes(m: Message, s: Struct, f: Field): Segment<Mode>[] {
  const classify = (v: number): Mode => {
    if (!contains(f.versions, v)) return { kind: 'absent' };
    if (contains(f.tagged, v)) return { kind: 'tagged' };
    return { kind: 'plain', flex: contains(f.flexible, v), nullable: contains(f.nullable, v) };
  };
  return segments(s.ctx, [f.versions, f.tagged, f.flexible, f.nullable, m.flexible], classify, key);
}

/** The versions of the struct that end with a tagged-field section. */
export function flexibleCtx(m: Message, s: Struct): Range {
  return intersect(m.flexible, s.ctx);
}

/** Fields that are tagged in some version of the struct, in ascending tag order (the wire order). */
export function taggedFields(m: Message, s: Struct): Field[] {
  const ctx = flexibleCtx(m, s);
  const out = s.fields.filter(
    (f) => f.tag !== undefined && intersect(intersect(f.tagged, f.versions), ctx).lo <= ctx.hi,
  );
  const seen = new Set<number>();
  for (const f of out) {
    if (seen.has(f.tag!)) throw new Error(`${m.name}: tag ${f.tag} is used twice in ${s.name}`);
    seen.add(f.tag!);
  }
  return out.sort((a, b) => a.tag! - b.tag!);
}

/** The versions in which the field is in the tagged section. */
export function taggedRange(m: Message, s: Struct, f: Field): Range {
  return intersect(intersect(f.tagged, f.versions), flexibleCtx(m, s));
}

/** Whether the field is nullable in its tagged versions (Kafka requires all or none). */
export function taggedNullable(f: Field): boolean {
  return intersect(f.nullable, f.tagged).lo <= intersect(f.nullable, f.tagged).hi;
}
