import { SluiceError } from '../errors.js';
import type { Reader } from './reader.js';
import type { Writer } from './writer.js';

/**
 * One Kafka API (request + response) as emitted by tools/codegen: every valid version can be
 * encoded and decoded in both directions (the fake broker and round-trip tests use the reverse ones).
 */
export interface ApiDef<Req, Res> {
  /** Kafka's API key, e.g. 3 for Metadata. */
  readonly key: number;
  /** The API's name without the Request/Response suffix, e.g. `Metadata`. */
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** First flexible version (KIP-482), or `Infinity` when the API has none. */
  readonly flexibleFrom: number;
  /** True when the top version is still unstable (brokers do not advertise it by default). */
  readonly latestVersionUnstable: boolean;
  encodeRequest(w: Writer, version: number, req: Req): void;
  decodeRequest(r: Reader, version: number): Req;
  encodeResponse(w: Writer, version: number, res: Res): void;
  decodeResponse(r: Reader, version: number): Res;
}

/** Request header v2 for flexible versions, else v1 (v0 was removed in Kafka 4.0). */
export function requestHeaderVersion(api: ApiDef<unknown, unknown>, version: number): 1 | 2 {
  return version >= api.flexibleFrom ? 2 : 1;
}

/** Response header v1 for flexible versions, else v0; ApiVersions always answers with v0 (KIP-511). */
export function responseHeaderVersion(api: ApiDef<unknown, unknown>, version: number): 0 | 1 {
  if (api.key === 18) return 0;
  return version >= api.flexibleFrom ? 1 : 0;
}

/**
 * A message cannot be encoded in the requested version: the version is outside the API's range, a
 * field that version lacks holds a non-default value Kafka does not allow to drop (the schema's
 * `ignorable: false`), or a field holds null where that version does not allow it.
 */
export class UnsupportedVersionError extends SluiceError {
  constructor(message: string) {
    super(message, { code: 'UNSUPPORTED_VERSION' });
  }
}
