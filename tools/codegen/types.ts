/** Emits the TypeScript interfaces of a message and its structs, with the schema's docs. */
import type { Code } from './code.js';
import { isOptional, tsType } from './names.js';
import type { Field, Message, Struct } from './schema.js';
import { formatRange, intersect, isEmpty } from './versions.js';

function docText(text: string): string {
  return text.replace(/\*\//g, '*\\/').replace(/\s+/g, ' ').trim();
}

/** Versions, nullability, tag and default of a field, as one line of doc comment. */
export function fieldFacts(f: Field, messageFlexible: string): string {
  const facts = [`versions ${formatRange(f.versions)}`];
  const nullable = intersect(f.nullable, f.versions);
  if (!isEmpty(nullable)) facts.push(`nullable ${formatRange(nullable)}`);
  if (f.tag !== undefined) facts.push(`tag ${f.tag} in ${formatRange(f.tagged)}`);
  if (f.hasDefault) facts.push(`default ${f.default === '' ? '""' : f.default}`);
  if (f.ignorable) facts.push('ignorable');
  if (formatRange(f.flexible) !== messageFlexible) facts.push(`compact in ${formatRange(f.flexible)}`);
  return facts.join(', ');
}

function structDoc(m: Message, s: Struct): string {
  if (s === m.root) {
    const flex = isEmpty(m.flexible) ? 'never flexible' : `flexible ${formatRange(intersect(m.flexible, m.valid))}`;
    const unstable = m.unstable ? `; v${m.valid.hi} is unstable: brokers do not advertise it by default` : '';
    return `${m.name}, versions ${formatRange(m.valid)} (${flex}${unstable}).`;
  }
  return `${s.name} of ${m.name}, in versions ${formatRange(s.ctx)}.`;
}

export function emitInterfaces(out: Code, m: Message): void {
  for (const s of m.structs) {
    out.line(`/** ${docText(structDoc(m, s))} */`);
    out.open(`export interface ${s.tsName} {`);
    for (const f of s.fields) {
      const about = docText(f.about);
      out.line(
        `/** ${about === '' ? '' : `${about.endsWith('.') ? about : `${about}.`} `}(${fieldFacts(f, formatRange(m.flexible))}) */`,
      );
      out.line(`${f.prop}${isOptional(m, s, f) ? '?' : ''}: ${tsType(f)};`);
    }
    out.close();
    out.line('');
  }
}
