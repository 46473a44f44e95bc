// KafkaJS's compression names and codec registry. Sluice has every codec Kafka defines built in
// (gzip, snappy, lz4, zstd), so the plug-ins KafkaJS users register (kafkajs-snappy, kafkajs-lz4,
// @kafkajs/zstd) are not needed: registering one is accepted and has no effect.
import type { CompressionName } from '../protocol/compression/codec.js';
import { KafkaJSNonRetriableError } from './errors.js';

export const CompressionTypes = { None: 0, GZIP: 1, Snappy: 2, LZ4: 3, ZSTD: 4 } as const;
export type CompressionTypes = (typeof CompressionTypes)[keyof typeof CompressionTypes];

const NAMES: readonly CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/** A registered codec factory, as KafkaJS's `CompressionCodecs[type] = () => codec` takes it. */
export type CodecFactory = () => unknown;

/**
 * KafkaJS's codec registry. Every type already has Sluice's built-in codec behind it; assigning a
 * factory (`CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec`) is allowed and ignored.
 */
export const CompressionCodecs: Record<number, CodecFactory> = {
  [CompressionTypes.GZIP]: () => 'sluice:gzip (built in)',
  [CompressionTypes.Snappy]: () => 'sluice:snappy (built in)',
  [CompressionTypes.LZ4]: () => 'sluice:lz4 (built in)',
  [CompressionTypes.ZSTD]: () => 'sluice:zstd (built in)',
};

/** Sluice's codec name for a KafkaJS compression type (undefined: none). */
export function compressionOf(type: unknown): CompressionName {
  if (type === undefined || type === null) return 'none';
  const name = typeof type === 'number' && Number.isInteger(type) ? NAMES[type] : undefined;
  if (name === undefined) {
    throw new KafkaJSNonRetriableError(
      `Unsupported compression codec ${String(type)}: use CompressionTypes.None, GZIP, Snappy, LZ4 or ZSTD (0-4)`,
    );
  }
  return name;
}
