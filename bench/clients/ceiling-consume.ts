// The ceiling: the least a consumer on Sluice's protocol layer must do to read a topic. It sends
// Fetch requests (50 MiB per fetch, 1 MiB per partition, one in flight, as the consumer) and checks
// every batch's CRC-32C, but builds no record objects and calls no handler. Every consumer is shown
// as a fraction of it on the same data. Uncompressed topics only (it does not decompress).
// No group: it reads partitions from offset 0, so its clock starts after its Metadata request.
import { Connection } from '../../src/network/connection.js';
import { Fetch } from '../../src/protocol/generated/fetch.js';
import { Metadata } from '../../src/protocol/generated/metadata.js';
import { crc32c } from '../../src/protocol/records/crc32c.js';
import { scanRecordBatches } from '../../src/protocol/records/scan.js';
import { consumeArgs, Tally } from './consume-args.js';

const { bootstrap, topic, count } = consumeArgs();
const [host, port] = bootstrap.split(',')[0]!.split(':');
const conn = new Connection({
  host: host!,
  port: Number(port),
  clientId: 'bench-ceiling',
  requestTimeoutMs: 30_000,
  connectionTimeoutMs: 10_000,
});
await conn.connect();
const meta = await conn.request(Metadata, { topics: [{ name: topic }] }, { maxVersion: 12 });
const partitions = meta.topics[0]?.partitions.map((p) => p.partitionIndex) ?? [];
if (partitions.length === 0) throw new Error(`ceiling: topic ${topic} has no partitions`);
const offsets = new Map<number, bigint>(partitions.map((p) => [p, 0n]));

const tally = new Tally();
tally.ready();
const view = (b: Buffer) => new DataView(b.buffer, b.byteOffset, b.byteLength);
// Bounded: a fetch that brings nothing 100 times in a row means the records are not there.
for (let idle = 0; tally.records < count && idle < 100; ) {
  const res = await conn.request(
    Fetch,
    {
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 52_428_800,
      isolationLevel: 0,
      topics: [
        {
          topic,
          partitions: partitions.map((partition) => ({
            partition,
            fetchOffset: offsets.get(partition)!,
            partitionMaxBytes: 1_048_576,
          })),
        },
      ],
    },
    // v12: topics by name (v13+ wants topic ids, which would need another Metadata field here).
    { maxVersion: 12, timeoutMs: 30_500 },
  );
  let got = 0;
  for (const t of res.responses) {
    for (const p of t.partitions) {
      const records = p.records;
      if (p.errorCode !== 0) throw new Error(`ceiling: fetch error ${p.errorCode} on partition ${p.partitionIndex}`);
      if (!records || records.length === 0) continue;
      const scan = scanRecordBatches(records);
      const dv = view(records);
      // Every whole batch: check its CRC (attributes to the end), count its records from the header.
      for (let at = 0; at < scan.completeBytes; ) {
        const end = at + 12 + dv.getInt32(at + 8);
        if (crc32c(records, at + 21, end) !== dv.getUint32(at + 17)) throw new Error('ceiling: CRC-32C mismatch');
        const n = dv.getInt32(at + 57);
        if (tally.records === 0) tally.first = performance.now();
        tally.records += n;
        got += n;
        at = end;
      }
      tally.bytes += scan.completeBytes;
      if (scan.nextOffset >= 0) offsets.set(p.partitionIndex, BigInt(scan.nextOffset));
    }
  }
  idle = got === 0 ? idle + 1 : 0;
}
tally.last = performance.now();
conn.close();
// bytes: whole batches read (headers included), not value bytes: the ceiling opens no record.
tally.print({ client: 'ceiling', node: process.version });
