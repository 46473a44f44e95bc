/**
 * tools/codegen: generates src/protocol/generated/ from Kafka's JSON message schemas, vendored in
 * tools/codegen/schemas/ (refresh them with refresh-schemas.sh).
 *
 *   node --import tsx tools/codegen/main.ts [--out <dir>]      (npm run codegen)
 *
 * Layout of the output, and the rules the code follows:
 * - one module per API (`metadata.ts`, `join-group.ts`, …) with the request/response interfaces and an
 *   `ApiDef` object (`Metadata`) that encodes and decodes every valid version in both directions;
 * - one module per header and `type: data` schema with `encodeX`/`decodeX` (and `…Versioned` for data);
 * - `common.ts` (helpers, error raisers) and `index.ts` (re-exports, `ApiKeys`, `apis`, `apisByKey`).
 *
 * Representation: int64 → bigint; other numbers → number; bytes → Buffer (zero-copy views on
 * decode); records → Buffer | null; uuid → 22-char base64url string; arrays → T[]; field names in
 * lowerCamelCase. Nested struct interfaces are named `${MessageName}${StructName}` unless the
 * struct name already starts with the message name.
 *
 * Input optionality (requests, headers, data schemas): a field is optional when it has an explicit
 * default, is tagged, or is missing from some version of its struct; the encoder fills in the
 * default. Responses list every field as required; decoders fill defaults for absent fields.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiFile, commonFile, dataFile, type GeneratedFile, indexFile } from './files.js';
import { loadSchemas, type Message } from './schema.js';

const here = dirname(fileURLToPath(import.meta.url));
export const SCHEMA_DIR = join(here, 'schemas');
export const DEFAULT_OUT = resolve(here, '../../src/protocol/generated');

/** Every generated file, in memory. */
export function generate(schemaDir = SCHEMA_DIR): GeneratedFile[] {
  const kafkaVersion = readFileSync(join(schemaDir, 'VERSION'), 'utf8').trim();
  const messages = loadSchemas(schemaDir);
  const requests = new Map<number, Message>();
  const responses = new Map<number, Message>();
  const others: Message[] = [];
  for (const m of messages) {
    if (m.type === 'request') requests.set(m.apiKey!, m);
    else if (m.type === 'response') responses.set(m.apiKey!, m);
    else others.push(m);
  }
  const files: GeneratedFile[] = [commonFile(kafkaVersion)];
  for (const [key, req] of requests) {
    const res = responses.get(key);
    if (res === undefined) throw new Error(`${req.name} has no response schema`);
    files.push(apiFile(kafkaVersion, req, res));
  }
  for (const m of others) files.push(dataFile(kafkaVersion, m));
  files.push(indexFile(kafkaVersion, [...requests.values()], others));
  return files.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Replaces the .ts files of `outDir` with a fresh generation. */
export function writeGenerated(outDir: string, files: readonly GeneratedFile[]): void {
  mkdirSync(outDir, { recursive: true });
  for (const f of readdirSync(outDir)) if (f.endsWith('.ts')) rmSync(join(outDir, f));
  for (const f of files) writeFileSync(join(outDir, f.name), f.text);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  const outDir = i > 0 && process.argv[i + 1] !== undefined ? resolve(process.argv[i + 1]!) : DEFAULT_OUT;
  const files = generate();
  writeGenerated(outDir, files);
  const bytes = files.reduce((n, f) => n + Buffer.byteLength(f.text), 0);
  console.log(`Wrote ${files.length} files (${(bytes / 1024).toFixed(0)} KiB) to ${outDir}`);
}
