import { constants } from 'node:buffer';
import { SluiceError } from '../../errors.js';

/** The largest Buffer this runtime can allocate (4 GiB on Node 20, 2^53 - 1 on Node 22 and 24). */
const MAX_BUFFER_BYTES = constants.MAX_LENGTH;

/**
 * Kafka's compression codec ids: the low three bits of a record batch's attributes
 * (`CompressionType.java`). zstd needs Produce v7+ / Fetch v10+ (KIP-110).
 */
export const CompressionCodecs = {
  none: 0,
  gzip: 1,
  snappy: 2,
  lz4: 3,
  zstd: 4,
} as const;

export type CompressionName = keyof typeof CompressionCodecs;
export type CompressionId = (typeof CompressionCodecs)[CompressionName];

const NAMES: readonly CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/** The codec name for an id, or undefined for ids Kafka does not define. */
export function compressionName(id: number): CompressionName | undefined {
  return NAMES[id];
}

/**
 * One compression codec. Both directions are **synchronous** on purpose:
 * - the consumer's hot path decodes a fetch response's batches in one pass; an async codec would put a
 *   microtask (and, for node:zlib's async API, a thread-pool round trip of ~50 µs) between every
 *   compressed batch, and force the whole decoder to be async even for uncompressed data;
 * - batches are bounded (`max.message.bytes`, 1 MiB by default), so one call blocks the event loop
 *   for well under a millisecond at the codecs' speeds;
 * - every implementation we use has a synchronous form (node:zlib `*Sync`, our TypeScript snappy and
 *   LZ4, WASM zstd).
 * A caller that wants decompression off the main thread can run the decoder in a worker.
 */
export interface Codec {
  readonly id: CompressionId;
  readonly name: CompressionName;
  /** Which implementation serves, e.g. `node:zlib`, `typescript`, `wasm`: shown in diagnostics. */
  readonly implementation: string;
  /** Compresses `data` into a new Buffer in the format Kafka's Java client writes for this codec. */
  compress(data: Uint8Array): Buffer;
  /**
   * Decompresses a batch's records blob into at most `maxOutputBytes` (default
   * {@link DEFAULT_MAX_DECOMPRESSED_BYTES}; read through {@link outputLimit}). Throws {@link DecompressedTooLargeError} as soon as the
   * output would pass that limit — before allocating or inflating much beyond it, so a small
   * "decompression bomb" costs neither memory nor time — and {@link CompressionError} on malformed
   * input; never returns partial output.
   */
  decompress(data: Uint8Array, maxOutputBytes?: number): Buffer;
}

/** Where a batch came from, when the record decoder reports a codec problem. */
export interface BatchSource {
  topic: string;
  partition: number;
  /** The batch's base offset. */
  offset: number;
}

/** A batch names a codec this client does not know (attribute bits 0-2 ∉ 0..4) or cannot load. */
export class UnsupportedCompressionError extends SluiceError {
  /** The codec id from the batch attributes. */
  readonly codecId: number;
  readonly topic: string | undefined;
  readonly partition: number | undefined;
  readonly offset: number | undefined;

  constructor(codecId: number, reason?: string, source?: BatchSource) {
    const name = compressionName(codecId);
    super(
      `Unsupported compression codec id ${codecId}${name === undefined ? '' : ` (${name})`}` +
        (source === undefined
          ? ''
          : ` in the batch at offset ${source.offset} of topic ${source.topic} partition ${source.partition}`) +
        (reason === undefined ? '' : `: ${reason}`),
      { code: 'UNSUPPORTED_COMPRESSION' },
    );
    this.codecId = codecId;
    this.topic = source?.topic;
    this.partition = source?.partition;
    this.offset = source?.offset;
  }
}

/**
 * What `decompress` allows when the caller names no limit. The consumer passes its own (derived from
 * `maxBufferedBytes`); this default only guards direct callers.
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

/**
 * The limit a codec enforces for a `maxOutputBytes` argument: an integer from 0 to the largest Buffer
 * this runtime can allocate. A larger one (Infinity included, or a consumer's maxBufferedBytes above
 * 4 GiB on Node 20) cannot be reached anyway, and passed on as is, node:zlib would reject it as a
 * `maxOutputLength` and fail every batch as corrupt. NaN or a negative number allows nothing: a broken
 * limit fails closed, with {@link DecompressedTooLargeError}, rather than not at all.
 */
export function outputLimit(maxOutputBytes: number | undefined): number {
  if (maxOutputBytes === undefined) return DEFAULT_MAX_DECOMPRESSED_BYTES;
  if (!(maxOutputBytes > 0)) return 0;
  return Math.min(Math.floor(maxOutputBytes), MAX_BUFFER_BYTES);
}

/**
 * A compressed payload inflates past the allowed size: a batch larger than the consumer may hold
 * (raise `maxBufferedBytes`), or a decompression bomb. Java bounds its decompression buffers the same
 * way. Not retriable: the same bytes inflate the same way.
 */
export class DecompressedTooLargeError extends SluiceError {
  readonly codec: CompressionName;
  readonly limit: number;

  constructor(codec: CompressionName, limit: number, detail?: string) {
    super(`${codec}: the decompressed data exceeds the limit of ${limit} bytes${detail ? ` (${detail})` : ''}`, {
      code: 'DECOMPRESSED_TOO_LARGE',
    });
    this.codec = codec;
    this.limit = limit;
  }
}

/** Compressed data is malformed (or compression itself failed). Names the codec and why. */
export class CompressionError extends SluiceError {
  readonly codec: CompressionName;

  constructor(codec: CompressionName, message: string, cause?: unknown) {
    super(`${codec}: ${message}`, { code: 'COMPRESSION_ERROR', cause });
    this.codec = codec;
  }
}
