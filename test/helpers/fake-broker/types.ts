// Types shared by the fake broker's parts: request/response types by API name, handler signatures.
import type { ApiDef } from '../../../src/protocol/api.js';
import type { ApiName, apis } from '../../../src/protocol/generated/index.js';

export type { ApiName };

type Def<N extends ApiName> = (typeof apis)[N];
export type RequestOf<N extends ApiName> = Def<N> extends ApiDef<infer Q, infer _R> ? Q : never;
export type ResponseOf<N extends ApiName> = Def<N> extends ApiDef<infer _Q, infer R> ? R : never;

/** Who sent a request, and how. */
export interface RequestInfo<N extends ApiName = ApiName> {
  /** The node (0-based) that received it. */
  readonly nodeId: number;
  readonly api: N;
  readonly version: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  /** Unique per TCP connection across the cluster, to tell a client's connections apart. */
  readonly connectionId: number;
}

export interface RequestContext<N extends ApiName = ApiName> extends RequestInfo<N> {
  /**
   * The response the handlers registered before this one give, and in the end the default behaviour
   * (null: no response, e.g. Produce with acks=0). Call it to change a default response.
   */
  next(): Promise<ResponseOf<N> | null>;
  /** Resolves after `ms`, or at once when the cluster closes. */
  sleep(ms: number): Promise<void>;
}

/**
 * Answers one request: a response, `null` for no response at all (the connection goes on with the next
 * request), or `undefined` to leave it to the handlers registered before (and the default).
 */
export type Handler<N extends ApiName> = (
  req: RequestOf<N>,
  ctx: RequestContext<N>,
) => ResponseOf<N> | null | undefined | Promise<ResponseOf<N> | null | undefined>;

export interface RawContext extends RequestInfo {
  /** The decoded request, or undefined when it could not be decoded. */
  readonly request: unknown;
  /** A well-formed response frame (length prefix and header included) for `res`, to corrupt or cut. */
  encode(res: unknown, version?: number): Buffer;
}

/**
 * Sees the request frame (header and body, without the 4-byte length prefix) and returns the exact
 * bytes to write back (length prefix included), `null` to answer nothing, or `undefined` to answer
 * normally.
 */
export type RawHandler = (
  frame: Buffer,
  ctx: RawContext,
) => Buffer | null | undefined | Promise<Buffer | null | undefined>;

/** One request the cluster received, in arrival order. */
export interface LoggedRequest extends RequestInfo {
  /** The decoded request body; undefined when it could not be decoded. */
  readonly req: unknown;
  /** Date.now() at arrival. */
  readonly at: number;
}

/** Version range the fake advertises for an API: a max, [min, max], or null to leave the API out. */
export type VersionCap = number | readonly [number, number] | null;
