import { type ConsumerRecordsEvent, consumerRecordsChannel } from '../observability/channels.js';
import type { ConsumerCore } from './core.js';
import { ChunkDecoder } from './fetch-records.js';
import type { FetchedChunk, PartitionState } from './partition-state.js';
import type { ConsumerRecord } from './record.js';

/**
 * Records decoded at a time (a slice): a batch of millions of tiny records (a compressed batch may
 * inflate to maxBufferedBytes) becomes objects a slice at a time, each counted in the buffer. Small
 * on purpose: each partition being delivered holds one slice, and a slice that a slow handler keeps
 * alive across young-generation collections is promoted to the old generation. With 4096 a 10M-record
 * backlog behind a slow handler peaked at 199–205 MiB RSS; with 512, 147 MiB, with less CPU per record
 * and no loss on the fast path (bench/scale.ts, docs/performance.md).
 */
export const SLICE_RECORDS = 512;
/** Heap a decoded record costs beyond its raw bytes (record object, key/value views, header array). */
const DECODED_RECORD_BYTES = 160;

export type DecodedChunk = FetchedChunk & { records: ConsumerRecord[] };

/**
 * The first chunk of `s` with a slice of decoded records in hand: the current slice while it has
 * records left, else the next one. An empty slice means the chunk is exhausted (or hit a bad batch,
 * in `error`): {@link finishChunk} it. Undefined when nothing is buffered.
 */
export function currentChunk(core: ConsumerCore, s: PartitionState): DecodedChunk | undefined {
  const chunk = s.queue[0];
  if (!chunk) return undefined;
  if (chunk.records && chunk.next < chunk.records.length) return chunk as DecodedChunk;
  if (!chunk.decoder && chunk.data) {
    chunk.decoder = new ChunkDecoder(
      s.topic,
      s.partition,
      chunk.data,
      chunk.aborted,
      chunk.fetchOffset,
      core.decodeOptions,
    );
    chunk.data = null;
  }
  let records: ConsumerRecord[] = [];
  if (chunk.decoder && !chunk.error) {
    try {
      records = chunk.decoder.next(SLICE_RECORDS);
    } catch (err) {
      chunk.error = err as Error;
    }
  }
  chunk.records = records;
  chunk.next = 0;
  if (records.length && consumerRecordsChannel.hasSubscribers) publishRecords(core, s, records);
  // Decoded records (and an inflated batch) take heap beyond the raw bytes: count them too.
  core.fetcher.setDecoded(chunk, records.length * DECODED_RECORD_BYTES + (chunk.decoder?.inflatedBytes ?? 0));
  return chunk as DecodedChunk;
}

function publishRecords(core: ConsumerCore, s: PartitionState, records: ConsumerRecord[]): void {
  let bytes = 0;
  for (const r of records) bytes += (r.key?.length ?? 0) + (r.value?.length ?? 0);
  consumerRecordsChannel.publish({
    clientId: core.o.clientId,
    groupId: core.o.groupId ?? '',
    topic: s.topic,
    partition: s.partition,
    records: records.length,
    bytes,
  } satisfies ConsumerRecordsEvent);
}

/**
 * Drops a chunk whose records are all delivered (its decoder returned an empty slice) and frees its
 * buffer space. Everything below the chunk's end is then done — delivered, or a transaction marker
 * or aborted record that is never delivered — so the processed offset moves past it. A bad batch
 * met in it fails the consumer now, after the records before it. Returns false when there is
 * nothing more to deliver now.
 */
export function finishChunk(core: ConsumerCore, s: PartitionState, chunk: DecodedChunk): boolean {
  // A seek or revocation may have dropped (and released) the chunk while a handler ran.
  if (s.queue[0] !== chunk || chunk.released) return false;
  s.queue.shift();
  if (chunk.error) {
    core.fail(chunk.error);
    core.fetcher.releaseChunks([chunk]);
    return false;
  }
  if (chunk.nextOffset > s.processed) core.markProcessed(s, chunk.nextOffset - 1, chunk.lastEpoch);
  core.fetcher.releaseChunks([chunk]);
  return true;
}
