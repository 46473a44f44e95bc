import { type ChunkDecodeOptions, ChunkDecoder } from '../consumer/fetch-records.js';
import type { ConsumerRecord } from '../consumer/record.js';
import { CorruptRecordError } from '../protocol/records/errors.js';
import type { ShareRecord } from './types.js';

/** One AcquiredRecords entry of a ShareFetch response. */
export interface AcquiredRange {
  firstOffset: bigint;
  lastOffset: bigint;
  deliveryCount: number;
}

/** What one partition's ShareFetch answer holds for the application. */
export interface DecodedAcquired {
  /** The acquired records, in offset order, each with its delivery count. */
  records: ShareRecord[];
  /** Acquired offsets with no record (a control record, or compacted away): acknowledged as gaps (Java does the same). */
  gaps: number[];
  /** Acquired offsets after a batch that could not be decoded: released, so nothing is skipped silently. */
  undecodable: number[];
  /** Why `undecodable` is not empty (a CorruptRecordError or a decompression error, located). */
  error: Error | undefined;
}

/**
 * A broker claims every acquired offset it lists; a claim far beyond what a response can carry
 * (a hostile or corrupt response) is refused before gap acknowledgements are built for it.
 */
export const MAX_ACQUIRED_SPAN = 1_000_000;

/** Records decoded per call of the consumer's chunk decoder. */
const SLICE = 4096;

/**
 * Pairs a partition's records blob with its acquired ranges. Only records inside an acquired range
 * are delivered — a returned batch may hold records other members hold, or that are already
 * acknowledged. The blob is decoded by the consumer's decoder (CRC checks, decompression bounded by
 * maxBatchBytes, batch order checks): there is one record decoder in Sluice. Read_uncommitted here:
 * a share group's isolation level (`share.isolation.level`) is applied by the broker when it acquires.
 */
export function decodeAcquired(
  topic: string,
  partition: number,
  blob: Buffer | null,
  acquired: readonly AcquiredRange[],
  o: Omit<ChunkDecodeOptions, 'isolationLevel'>,
): DecodedAcquired {
  const ranges = checkRanges(topic, partition, acquired);
  try {
    return pair(topic, partition, blob, ranges, o, SLICE);
  } catch {
    // A bad batch: the slice it ended was lost with the throw. Decode again a record at a time (the
    // rare path), so the records before the bad batch are still delivered.
    return pair(topic, partition, blob, ranges, o, 1, true);
  }
}

/** One pass over the blob; throws on a bad batch unless `salvage`, which stops there instead. */
function pair(
  topic: string,
  partition: number,
  blob: Buffer | null,
  ranges: AcquiredRange[],
  o: Omit<ChunkDecodeOptions, 'isolationLevel'>,
  slice: number,
  salvage = false,
): DecodedAcquired {
  const out: DecodedAcquired = { records: [], gaps: [], undecodable: [], error: undefined };
  if (ranges.length === 0) return out;
  let ri = 0;
  let next = Number(ranges[0]!.firstOffset); // the lowest acquired offset not yet handed out
  /** Keeps `next` inside the current range (or past the last one). */
  const normalize = () => {
    while (ri < ranges.length && next > Number(ranges[ri]!.lastOffset)) {
      ri++;
      if (ri < ranges.length) next = Number(ranges[ri]!.firstOffset);
    }
  };
  /** Hands the acquired offsets below `offset` to `sink`. */
  const skipBelow = (offset: number, sink: number[]) => {
    normalize();
    while (ri < ranges.length && next < offset) {
      sink.push(next++);
      normalize();
    }
  };
  if (blob && blob.length > 0) {
    const decoder = new ChunkDecoder(topic, partition, blob, null, next, { ...o, isolationLevel: 0 });
    try {
      for (let list = decoder.next(slice); list.length > 0 && ri < ranges.length; list = decoder.next(slice)) {
        for (const r of list) {
          skipBelow(r.offset, out.gaps);
          if (ri >= ranges.length) break;
          if (r.offset !== next) continue; // between acquired ranges: another member's, or settled
          out.records.push(withDeliveryCount(r, ranges[ri]!.deliveryCount));
          next++;
          normalize();
        }
      }
    } catch (err) {
      if (!salvage) throw err;
      out.error = err instanceof Error ? err : new Error(String(err));
      skipBelow(Number.POSITIVE_INFINITY, out.undecodable);
      return out;
    }
  }
  skipBelow(Number.POSITIVE_INFINITY, out.gaps);
  return out;
}

/** Adds the delivery count to a decoded record (the same object: no copy per record). */
function withDeliveryCount(r: ConsumerRecord, deliveryCount: number): ShareRecord {
  (r as { deliveryCount?: number }).deliveryCount = deliveryCount;
  return r as ShareRecord;
}

/** The acquired ranges in order, each checked (first ≤ last, no overlap, a bounded total). */
function checkRanges(topic: string, partition: number, acquired: readonly AcquiredRange[]): AcquiredRange[] {
  const ranges = [...acquired].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1));
  let span = 0n;
  let prevLast = -1n;
  for (const r of ranges) {
    const bad =
      r.firstOffset < 0n || r.lastOffset < r.firstOffset
        ? `an acquired range ${r.firstOffset}-${r.lastOffset} is invalid`
        : r.firstOffset <= prevLast
          ? `acquired ranges overlap at offset ${r.firstOffset}`
          : undefined;
    if (bad) throw new CorruptRecordError({ topic, partition, offset: Number(r.firstOffset) }, bad);
    span += r.lastOffset - r.firstOffset + 1n;
    prevLast = r.lastOffset;
  }
  if (span > BigInt(MAX_ACQUIRED_SPAN)) {
    throw new CorruptRecordError(
      { topic, partition, offset: Number(ranges[0]?.firstOffset ?? 0n) },
      `the broker claims ${span} acquired offsets in one response (at most ${MAX_ACQUIRED_SPAN} are accepted)`,
    );
  }
  return ranges;
}
