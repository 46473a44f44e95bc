import type { ApiDef } from '../protocol/api.js';
import { kafkaError } from '../protocol/errors.js';
import { ApiVersions } from '../protocol/generated/api-versions.js';
import type { Connection } from './connection.js';
import { UnsupportedVersionError } from './errors.js';

const UNSUPPORTED_VERSION = 35;

/** The versions agreed with one broker: for each API, the highest version both sides support. */
export class NegotiatedVersions {
  constructor(
    readonly broker: string,
    /** The broker's advertised [min, max] per API key. */
    readonly brokerRanges: ReadonlyMap<number, readonly [number, number]>,
  ) {}

  /** Highest version of `api` both sides support, or undefined if there is none. */
  highest(api: ApiDef<unknown, unknown>): number | undefined {
    const range = this.brokerRanges.get(api.key);
    if (!range) return undefined;
    const ourMax = api.latestVersionUnstable ? api.maxVersion - 1 : api.maxVersion;
    const max = Math.min(ourMax, range[1]);
    const min = Math.max(api.minVersion, range[0]);
    return max >= min ? max : undefined;
  }

  /** Like {@link NegotiatedVersions.highest} but throws a typed error when there is no common version. */
  pick(api: ApiDef<unknown, unknown>): number {
    const v = this.highest(api);
    if (v === undefined) {
      const range = this.brokerRanges.get(api.key);
      const theirs = range ? `v${range[0]}-v${range[1]}` : 'no version';
      throw new UnsupportedVersionError(
        `Broker supports ${theirs} of ${api.name}, Sluice supports v${api.minVersion}-v${api.maxVersion}`,
        { broker: this.broker, api: api.name },
      );
    }
    return v;
  }
}

export interface ClientSoftware {
  clientSoftwareName: string;
  clientSoftwareVersion: string;
}

/**
 * ApiVersions, first on every connection (after TLS, before SASL). We ask with our newest version;
 * a broker that does not know it answers in v0 with UNSUPPORTED_VERSION and its own range, and we
 * retry with the newest version it supports (KIP-511).
 */
export async function negotiateApiVersions(conn: Connection, software: ClientSoftware): Promise<NegotiatedVersions> {
  let version = ApiVersions.maxVersion;
  for (let attempt = 0; attempt < 2; attempt++) {
    const res = await conn.send(ApiVersions, version, software);
    if (res.errorCode === UNSUPPORTED_VERSION && attempt === 0) {
      const theirs = res.apiKeys.find((k) => k.apiKey === ApiVersions.key);
      version = Math.min(theirs?.maxVersion ?? 0, ApiVersions.maxVersion);
      continue;
    }
    if (res.errorCode !== 0) throw kafkaError(res.errorCode, { api: 'ApiVersions', broker: conn.broker });
    const ranges = new Map<number, readonly [number, number]>();
    for (const k of res.apiKeys) ranges.set(k.apiKey, [k.minVersion, k.maxVersion]);
    return new NegotiatedVersions(conn.broker, ranges);
  }
  throw new UnsupportedVersionError('Broker rejected every ApiVersions version', { broker: conn.broker });
}
