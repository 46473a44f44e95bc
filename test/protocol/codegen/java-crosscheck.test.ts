// sluice-test-needs: kafka@schema
/**
 * Wire compatibility with Apache Kafka itself: for every message × version × variant of the round
 * trips, Kafka's generated Java classes (kafka-clients, same version as the vendored schemas) encode
 * the same value, and the bytes must equal ours. Needs `java` and the jars of Kafka at the schemas'
 * version, which `npm test` resolves in its set-up (the line above) into .cache/kafka/<version>/libs,
 * or their paths in SLUICE_KAFKA_CLASSPATH. Without them it is skipped, except in CI (CI=true), where
 * a missing prerequisite is a broken set-up and fails the test.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as generated from '../../../src/protocol/generated/index.js';
import { Writer } from '../../../src/protocol/writer.js';
import { SCHEMA_DIR } from '../../../tools/codegen/main.js';
import { loadSchemas, type Message, type Struct, structOf } from '../../../tools/codegen/schema.js';
import { contains } from '../../../tools/codegen/versions.js';
import { resolveKafka } from '../../kafka/index.js';
import { VARIANTS, ValueBuilder } from './values.js';

const KAFKA_VERSION = readFileSync(join(SCHEMA_DIR, 'VERSION'), 'utf8').trim();

/** The jars of Kafka at the schemas' version (kafka-clients and Jackson among them), or why not. */
async function classpath(): Promise<{ cp?: string; missing?: string }> {
  if (process.env.SLUICE_KAFKA_CLASSPATH) return { cp: process.env.SLUICE_KAFKA_CLASSPATH };
  try {
    return { cp: (await resolveKafka(KAFKA_VERSION)).classpath };
  } catch (err) {
    return { missing: `Kafka ${KAFKA_VERSION}'s jars: ${(err as Error).message.split('\n')[0]}` };
  }
}

function hasJava(): boolean {
  try {
    execFileSync('java', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Kafka's JSON form of a value (what its JsonConverters read): only the fields of that version,
 * int64 as exact numbers, float64 with a decimal point, bytes and records as base64.
 */
function toKafkaJson(m: Message, version: number, value: Record<string, unknown>): string {
  const walk = (x: unknown, s: Struct | undefined): unknown => {
    if (typeof x === 'bigint') return `__INT64__${x}`;
    if (Buffer.isBuffer(x)) return x.toString('base64');
    if (Array.isArray(x)) return x.map((e) => walk(e, s));
    if (x !== null && typeof x === 'object' && s !== undefined) {
      const o = x as Record<string, unknown>;
      const fields = s.fields.filter((f) => contains(f.versions, version));
      return Object.fromEntries(
        fields.map((f) => {
          const y = o[f.prop];
          // Kafka's converter wants a floating-point literal for float64 fields, even for 0.
          if (f.type.kind === 'primitive' && f.type.name === 'float64')
            return [f.prop, `__FLOAT__${(y as number).toFixed(2)}`];
          return [f.prop, walk(y, structOf(f.type))];
        }),
      );
    }
    return x;
  };
  return JSON.stringify(walk(value, m.root)).replace(/"__(?:INT64|FLOAT)__(-?[\d.]+)"/g, '$1');
}

function encoderOf(m: Message): (w: Writer, version: number, value: unknown) => void {
  if (m.type === 'request') return (w, v, x) => generated.apisByKey[m.apiKey!]!.encodeRequest(w, v, x);
  if (m.type === 'response') return (w, v, x) => generated.apisByKey[m.apiKey!]!.encodeResponse(w, v, x);
  return (generated as unknown as Record<string, (w: Writer, v: number, x: unknown) => void>)[`encode${m.name}`]!;
}

const { cp, missing } = await classpath();
const why = missing ?? (hasJava() ? undefined : 'java not found');
// Outside CI a machine without Java or the jars skips this; in CI that is a set-up failure.
const skip = why !== undefined && process.env.CI !== 'true' ? why : false;

it(`encodes byte for byte like Kafka ${KAFKA_VERSION}'s Java classes`, { skip, timeout: 120_000 }, () => {
  assert.equal(why, undefined, `cannot cross-check with Kafka's Java classes (CI=true): ${why}`);
  const tmp = mkdtempSync(join(tmpdir(), 'sluice-crosscheck-'));
  try {
    const cases: { what: string; ours: string }[] = [];
    const lines: string[] = [];
    for (const m of loadSchemas(SCHEMA_DIR)) {
      const encode = encoderOf(m);
      for (let version = m.valid.lo; version <= m.valid.hi; version++) {
        for (const variant of VARIANTS) {
          const value = new ValueBuilder(m, version, variant).struct();
          const w = new Writer();
          encode(w, version, value);
          const ours = Buffer.from(w.view()).toString('hex');
          cases.push({ what: `${m.name} v${version} ${variant}`, ours });
          lines.push(`${m.name}\t${version}\t${ours}\t${toKafkaJson(m, version, value)}`);
        }
      }
    }
    writeFileSync(join(tmp, 'in.txt'), `${lines.join('\n')}\n`);
    const source = fileURLToPath(new URL('./CrossCheck.java', import.meta.url));
    execFileSync('java', ['-cp', cp!, source, join(tmp, 'in.txt'), join(tmp, 'out.txt')], { stdio: 'inherit' });
    const theirs = readFileSync(join(tmp, 'out.txt'), 'utf8').trimEnd().split('\n');
    assert.equal(theirs.length, cases.length);
    const mismatches: string[] = [];
    cases.forEach((c, i) => {
      const [json, reencoded] = theirs[i]!.split('\t') as [string, string];
      // Kafka's reader must take our bytes, and writing them again must give the same bytes.
      if (reencoded !== c.ours)
        mismatches.push(`${c.what} (Kafka read ours, wrote):\n  ours   ${c.ours}\n  kafka  ${reencoded}`);
      // Kafka must encode the same value to the same bytes.
      if (json !== c.ours)
        mismatches.push(`${c.what} (Kafka encoded the value):\n  ours   ${c.ours}\n  kafka  ${json}`);
    });
    assert.deepEqual(mismatches, [], `${mismatches.length} mismatches in ${cases.length} cases`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
