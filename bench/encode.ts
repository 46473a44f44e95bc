/**
 * Record batch v2 encode (and decode) throughput: Sluice vs KafkaJS 2.2.4 vs @platformatic/kafka 1.x,
 * each library's own record-batch code called directly in the same process on the same data.
 *
 *   npm run bench:encode                        # 20 batches × 500 records, 8 B keys, 100 B values
 *   npm run bench:encode -- --seconds 3 --compression lz4
 *
 * One op = encoding (or decoding) all 20 batches, as one Produce request would carry them (Sluice: one
 * fresh Writer per op; also shown with a reused Writer, as a producer could keep one per connection). Every encoder's output is first decoded by Sluice
 * and compared, so all three do the same work. Rounds alternate between libraries to spread noise.
 */
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { createRecordsBatch, Reader as PlatReader, readRecordsBatches } from '@platformatic/kafka';
import { type CompressionName, compressionId } from '../src/protocol/compression/index.js';
import {
  crc32cImplementation,
  decodeRecordBatches,
  encodeRecordBatch,
  type RecordToEncode,
} from '../src/protocol/records/index.js';
import { Writer } from '../src/protocol/writer.js';

const { values: args } = parseArgs({
  options: {
    // Many short rounds rather than a few long ones: platformatic's decoder runs in a fast or a slow
    // mode depending on how V8 optimised it (1.13 vs 2.24 M records/s in issue 19), so enough rounds
    // catch each library's fast mode; best and median are both reported.
    seconds: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '9' },
    batches: { type: 'string', default: '20' },
    records: { type: 'string', default: '500' },
    compression: { type: 'string', default: 'none' },
  },
});
const SECONDS = Number(args.seconds);
const ROUNDS = Number(args.rounds);
const BATCHES = Number(args.batches);
const RECORDS = Number(args.records);
const COMPRESSION = args.compression as CompressionName;
const codec = compressionId(COMPRESSION);

const require = createRequire(import.meta.url);
const KafkaJSRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (r: object) => unknown;
const { RecordBatch: KafkaJSRecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (b: object) => Promise<{ buffer: Buffer }>;
};
const KafkaJSBatchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (d: unknown) => Promise<unknown>;
const KafkaJSDecoder = require('kafkajs/src/protocol/decoder') as new (b: Buffer) => unknown;
const kafkajsCodec = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 }[COMPRESSION];

// The data: BATCHES batches of RECORDS records, 8-byte keys, 100-byte values, no headers.
const now = Date.now();
const data: RecordToEncode[][] = [];
for (let b = 0; b < BATCHES; b++) {
  const batch: RecordToEncode[] = [];
  for (let i = 0; i < RECORDS; i++) {
    const value = Buffer.alloc(100, `value-${b}-${i}-`);
    batch.push({ key: Buffer.from(`k${String(b * RECORDS + i).padStart(7, '0')}`), value, timestamp: now + i });
  }
  data.push(batch);
}

/** What a producer does per Produce request: one fresh Writer holding every partition's batch. */
function sluiceEncode(): Buffer[] {
  const w = new Writer();
  const ends: number[] = [];
  for (const records of data) {
    encodeRecordBatch(w, { records, compression: codec });
    ends.push(w.pos);
  }
  return ends.map((end, i) => w.buf.subarray(i === 0 ? 0 : ends[i - 1], end));
}

const reused = new Writer(1 << 20);
function sluiceEncodeReusedWriter(): number {
  reused.pos = 0;
  for (const records of data) encodeRecordBatch(reused, { records, compression: codec });
  return reused.pos;
}

async function kafkajsEncode(): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const batch of data) {
    // What KafkaJS's Produce v3+ request does per partition (requests/produce/v3/request.js).
    const firstTimestamp = batch[0]!.timestamp!;
    const records = batch.map((m, i) =>
      KafkaJSRecord({ key: m.key, value: m.value, offsetDelta: i, timestampDelta: m.timestamp! - firstTimestamp }),
    );
    const encoded = await KafkaJSRecordBatch({
      compression: kafkajsCodec,
      records,
      firstTimestamp,
      maxTimestamp: batch[batch.length - 1]!.timestamp,
      lastOffsetDelta: records.length - 1,
    });
    out.push(encoded.buffer);
  }
  return out;
}

function platformaticEncode(): Buffer[] {
  const out: Buffer[] = [];
  for (const batch of data) {
    const messages = batch.map((m) => ({
      topic: 't',
      partition: 0,
      key: m.key,
      value: m.value,
      timestamp: BigInt(m.timestamp!),
    }));
    const w = createRecordsBatch(messages as never, { compression: COMPRESSION } as never);
    out.push((w as unknown as { buffer: Buffer }).buffer);
  }
  return out;
}

/** Decodes each encoder's output with Sluice (CRC checked) and compares with the input. */
function verify(name: string, buffers: Buffer[]): void {
  buffers.forEach((buf, b) => {
    const { batches } = decodeRecordBatches(buf, { topic: name, partition: 0 });
    const records = batches[0]?.records ?? [];
    if (batches.length !== 1 || records.length !== RECORDS) throw new Error(`${name}: wrong batch`);
    records.forEach((r, i) => {
      const e = data[b]![i]!;
      if (!r.key!.equals(e.key!) || !r.value!.equals(e.value!) || r.offset !== i)
        throw new Error(`${name}: record ${i} differs`);
    });
  });
}

async function measure(fn: () => unknown): Promise<number> {
  const deadline = performance.now() + SECONDS * 1000;
  let ops = 0;
  const start = performance.now();
  while (performance.now() < deadline) {
    const r = fn();
    if (r instanceof Promise) await r;
    ops++;
  }
  return (ops * 1000) / (performance.now() - start);
}

async function run(title: string, cases: Array<[string, () => unknown]>, baseline: string): Promise<void> {
  for (const [, fn] of cases) for (let i = 0; i < 50; i++) await fn(); // warm up the JIT
  const rounds = new Map<string, number[]>(cases.map(([name]) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, fn] of cases) rounds.get(name)!.push(await measure(fn));
  }
  const best = (name: string) => Math.max(...rounds.get(name)!);
  const median = (name: string) => {
    const s = [...rounds.get(name)!].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  };
  const mrec = (ops: number) => ((ops * BATCHES * RECORDS) / 1e6).toFixed(2).padStart(6);
  console.log(`\n${title}`);
  const base = best(baseline);
  for (const [name] of cases) {
    console.log(
      `  ${name.padEnd(32)} best ${mrec(best(name))} M records/s, median ${mrec(median(name))}, worst ${mrec(Math.min(...rounds.get(name)!))}  ${(best(name) / base).toFixed(2).padStart(6)}× ${baseline} (best)`,
    );
  }
  // The goal is judged best against best: each peer at its fast mode.
  const sluice = cases[0]![0];
  for (const [name] of cases.slice(1)) {
    console.log(
      `  ${sluice} / ${name}: ${(best(sluice) / best(name)).toFixed(2)}× best vs best, ${(median(sluice) / median(name)).toFixed(2)}× median vs median`,
    );
  }
}

console.log(
  `Node ${process.version}; ${BATCHES} batches × ${RECORDS} records (8 B keys, 100 B values), compression ${COMPRESSION}; ` +
    `CRC-32C ${crc32cImplementation()}; ${ROUNDS} rounds × ${SECONDS} s (best and median)`,
);
/** Keeps the libraries that can encode this codec (KafkaJS needs plugins beyond gzip; platformatic's zstd needs Node's). */
async function supported(
  cases: Array<[string, () => unknown]>,
  check: boolean,
): Promise<Array<[string, () => unknown]>> {
  const ok: Array<[string, () => unknown]> = [];
  for (const [name, fn] of cases) {
    try {
      const out = await fn();
      if (check && Array.isArray(out)) verify(name, out as Buffer[]);
      ok.push([name, fn]);
    } catch (err) {
      console.log(`  (${name} skipped: ${(err as Error).message})`);
    }
  }
  return ok;
}

const encoders = await supported(
  [
    ['sluice', sluiceEncode],
    ['sluice (reused 1 MiB Writer)', sluiceEncodeReusedWriter],
    ['@platformatic/kafka 1.x', platformaticEncode],
    ['kafkajs 2.2.4', kafkajsEncode],
  ],
  true,
);
await run('encode (1 op = all batches)', encoders, encoders[encoders.length - 1]![0]);

// Decode: the same bytes (Sluice's encoding) through each library's batch decoder.
const encoded = sluiceEncode();
let sink = 0; // keeps the decoders' results alive so the JIT cannot drop the work
function decodeAll(decode: (b: Buffer) => unknown): void {
  for (const b of encoded) if (decode(b) !== undefined) sink++;
}
const decoders = await supported(
  [
    ['sluice (CRC verified)', () => decodeAll((b) => decodeRecordBatches(b, { topic: 't', partition: 0 }))],
    [
      'sluice (no CRC check)',
      () => decodeAll((b) => decodeRecordBatches(b, { topic: 't', partition: 0, verifyCrc: false })),
    ],
    ['@platformatic/kafka 1.x', () => decodeAll((b) => readRecordsBatches(PlatReader.from(b)))],
    ['kafkajs 2.2.4', () => Promise.all(encoded.map((b) => KafkaJSBatchDecoder(new KafkaJSDecoder(b))))],
  ],
  false,
);
await run('decode (1 op = all batches)', decoders, decoders[decoders.length - 1]![0]);
if (sink === 0) console.log('(no decode ran)');
