import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { ConfigError } from '../errors.js';
import { type ApiDef, requestHeaderVersion, responseHeaderVersion } from '../protocol/api.js';
import { encodeRequestHeader } from '../protocol/generated/request-header.js';
import { decodeResponseHeader } from '../protocol/generated/response-header.js';
import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import { AbortedError, ConnectionError, RequestTimeoutError } from './errors.js';
import { FrameDecoder, FrameReader } from './frame-decoder.js';
import { type NegotiatedVersions, negotiateApiVersions } from './handshake.js';
import { authenticate, type SaslOptions } from './sasl/index.js';
import { timerDelay } from './timeouts.js';
import { openSocket, type SocketOptions } from './transport.js';

export interface ConnectionOptions extends SocketOptions {
  /** Sent in every request header (`client.id`). */
  clientId: string;
  /** SASL mechanism and credentials; omitted means no authentication. */
  sasl?: SaslOptions | undefined;
  /** Default per-request timeout (`request.timeout.ms`). */
  requestTimeoutMs: number;
  /** Largest response frame accepted; anything bigger is a protocol violation. Default 256 MiB. */
  maxFrameBytes?: number | undefined;
  /** Name reported to the broker in ApiVersions v3+ (KIP-511). */
  clientSoftwareName?: string | undefined;
  clientSoftwareVersion?: string | undefined;
}

export interface RequestOptions {
  /** Use at most this version (the negotiated maximum is used otherwise). */
  maxVersion?: number;
  /** Override `request.timeout.ms` for this request (e.g. a fetch adds its max wait). */
  timeoutMs?: number;
  /** False for requests the broker never answers (Produce with acks=0). */
  expectResponse?: boolean;
  /** Expected frame size, so a large request (Produce) is built without growing its buffer step by step. */
  sizeHint?: number;
  signal?: AbortSignal | undefined;
}

interface Pending {
  api: ApiDef<unknown, unknown>;
  version: number;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | undefined;
  /** Set when the caller gave up (abort); the response is still read and discarded. */
  abandoned: boolean;
  cleanup: (() => void) | undefined;
}

const DEFAULT_MAX_FRAME = 256 * 1024 * 1024;

/**
 * One TCP/TLS connection to one broker: framing, correlation ids, pipelining, per-request timeouts,
 * version negotiation and SASL. Requests are written in call order and may be pipelined; the broker
 * answers in order, and each response is matched to its request by correlation id.
 *
 * Events: `close` (err?: Error) once, when the connection ends for any reason.
 */
export class Connection extends EventEmitter {
  readonly broker: string;
  private socket: Socket | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextCorrelationId = 1;
  private versions: NegotiatedVersions | undefined;
  private closedWith: Error | undefined;
  private closed = false;
  private connecting: Promise<void> | undefined;

  constructor(private readonly options: ConnectionOptions) {
    super();
    this.broker = `${options.host}:${options.port}`;
  }

  /** True once connected, negotiated and authenticated, until closed. */
  get ready(): boolean {
    return this.versions !== undefined && !this.closed;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Requests written and not yet answered. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Versions agreed with this broker (available after {@link Connection.connect}). */
  get apiVersions(): NegotiatedVersions {
    if (!this.versions) throw new ConnectionError('CONNECTION_CLOSED', 'Connection is not ready', this.ctx());
    return this.versions;
  }

  /**
   * Opens the socket, negotiates API versions and authenticates. Idempotent while in progress (the
   * first call's `signal` applies). Aborting `signal` at any step closes the connection and rejects
   * with AbortedError.
   */
  connect(signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(this.closedError());
    if (this.versions) return Promise.resolve();
    this.connecting ??= this.doConnect(signal).catch((err: Error) => {
      this.destroy(err);
      throw err;
    });
    return this.connecting;
  }

  private async doConnect(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw new AbortedError('Connect aborted', signal.reason);
    // The signal covers the whole set-up, not just the TCP handshake: a broker that accepts the
    // connection and never answers ApiVersions must not hold the caller for request.timeout.ms.
    const onAbort = () => this.destroy(new AbortedError('Connect aborted', signal?.reason));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await this.setUp(signal);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private async setUp(signal?: AbortSignal): Promise<void> {
    const maxFrame = this.options.maxFrameBytes ?? DEFAULT_MAX_FRAME;
    const bad = (err: unknown) =>
      this.destroy(
        new ConnectionError('PROTOCOL_VIOLATION', `Invalid response frame: ${(err as Error).message}`, this.ctx(), err),
      );
    // Plain TCP reads straight into frame buffers (FrameReader); TLS and injected sockets emit
    // chunks that FrameDecoder reassembles.
    const direct = !this.options.tls && !this.options.socketFactory;
    const reader = direct ? new FrameReader(maxFrame, (frame) => this.onFrame(frame)) : undefined;
    const socket = await openSocket(
      this.options,
      signal,
      reader && {
        buffer: () => reader.nextBuffer(),
        callback: (n) => {
          try {
            reader.onRead(n);
          } catch (err) {
            bad(err);
          }
        },
      },
    );
    if (this.closed) {
      socket.destroy();
      throw this.closedError();
    }
    this.socket = socket;
    if (!reader) {
      const decoder = new FrameDecoder(maxFrame);
      socket.on('data', (chunk: Buffer) => {
        try {
          decoder.push(chunk, (frame) => this.onFrame(frame));
        } catch (err) {
          bad(err);
        }
      });
    }
    socket.on('error', (err) => this.destroy(new ConnectionError('CONNECTION_CLOSED', err.message, this.ctx(), err)));
    socket.on('close', () => this.destroy(new ConnectionError('CONNECTION_CLOSED', 'Connection closed', this.ctx())));

    this.versions = await negotiateApiVersions(this, {
      clientSoftwareName: this.options.clientSoftwareName ?? 'sluice',
      clientSoftwareVersion: this.options.clientSoftwareVersion ?? '0.1.0',
    });
    if (this.options.sasl) {
      await authenticate(this, this.options.sasl, this.options.host);
    }
  }

  /**
   * Sends one request and resolves with the decoded response. Rejects with a typed error: the
   * broker's error codes are *not* checked here (they live inside response bodies; callers check).
   */
  request<Req, Res>(api: ApiDef<Req, Res>, body: Req, opts: RequestOptions = {}): Promise<Res> {
    return this.send(api, this.chooseVersion(api, opts.maxVersion), body, opts);
  }

  /** Like {@link Connection.request} with an explicit version; used by the handshake before negotiation. */
  send<Req, Res>(api: ApiDef<Req, Res>, version: number, body: Req, opts: RequestOptions = {}): Promise<Res> {
    if (this.closed) return Promise.reject(this.closedError());
    const socket = this.socket;
    if (!socket) return Promise.reject(new ConnectionError('CONNECTION_CLOSED', 'Not connected', this.ctx()));
    if (opts.signal?.aborted) return Promise.reject(new AbortedError(`${api.name} request aborted`));
    if (opts.timeoutMs !== undefined && !(opts.timeoutMs >= 0)) {
      return Promise.reject(
        new ConfigError('timeoutMs', `expected a number of milliseconds >= 0, got ${opts.timeoutMs}`),
      );
    }

    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = (this.nextCorrelationId + 1) & 0x7fffffff;
    let frame: Buffer;
    try {
      frame = this.encode(api, version, correlationId, body, opts.sizeHint);
    } catch (err) {
      return Promise.reject(err);
    }

    const expectResponse = opts.expectResponse ?? true;
    if (!expectResponse) {
      return new Promise<Res>((resolve, reject) => {
        socket.write(frame, (err) => (err ? reject(this.closedError()) : resolve(undefined as Res)));
      });
    }

    return new Promise<Res>((resolve, reject) => {
      const p: Pending = {
        api: api as ApiDef<unknown, unknown>,
        version,
        resolve: resolve as (v: unknown) => void,
        reject,
        timer: undefined,
        abandoned: false,
        cleanup: undefined,
      };
      const timeoutMs = opts.timeoutMs ?? this.options.requestTimeoutMs;
      // Callers add waits to timeouts (a fetch's max wait, a broker-side timeout): clamp rather than
      // let Node cut a sum past 2^31-1 ms to 1 ms.
      p.timer = setTimeout(() => this.onTimeout(correlationId, timeoutMs), timerDelay(timeoutMs));
      const signal = opts.signal;
      if (signal) {
        const onAbort = () => {
          // The broker will still answer; keep the slot so the response is read and dropped.
          p.abandoned = true;
          if (p.timer) clearTimeout(p.timer);
          p.reject(new AbortedError(`${api.name} request aborted`, signal.reason));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        p.cleanup = () => signal.removeEventListener('abort', onAbort);
      }
      this.pending.set(correlationId, p);
      socket.write(frame);
    });
  }

  /** Resolves when the socket's write buffer has drained (write backpressure for bulk senders). */
  async drained(): Promise<void> {
    const socket = this.socket;
    if (!socket || this.closed || !socket.writableNeedDrain) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        socket.off('drain', done);
        this.off('close', done);
        resolve();
      };
      socket.once('drain', done);
      this.once('close', done);
    });
  }

  /** Closes the connection; pending requests fail with a retriable CONNECTION_CLOSED error. */
  close(): void {
    this.destroy(new ConnectionError('CONNECTION_CLOSED', 'Connection closed by the client', this.ctx()));
  }

  /** Closes the connection and fails every pending request with `err`. Idempotent. */
  destroy(err: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.closedWith = err;
    this.socket?.destroy();
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) this.settle(p, err);
    this.emit('close', err);
  }

  private chooseVersion(api: ApiDef<unknown, unknown>, cap: number | undefined): number {
    const v = this.apiVersions.pick(api);
    return cap === undefined ? v : Math.min(v, cap);
  }

  private encode(
    api: ApiDef<unknown, unknown>,
    version: number,
    correlationId: number,
    body: unknown,
    sizeHint = 256,
  ): Buffer {
    const w = new Writer(sizeHint);
    const sizeAt = w.reserveInt32();
    encodeRequestHeader(w, requestHeaderVersion(api, version), {
      requestApiKey: api.key,
      requestApiVersion: version,
      correlationId,
      clientId: this.options.clientId,
    });
    api.encodeRequest(w, version, body);
    w.patchInt32(sizeAt, w.pos - 4);
    return w.view();
  }

  private onFrame(frame: Buffer): void {
    if (frame.length < 4) {
      this.destroy(new ConnectionError('PROTOCOL_VIOLATION', 'Response frame shorter than its header', this.ctx()));
      return;
    }
    const correlationId = frame.readInt32BE(0);
    const p = this.pending.get(correlationId);
    if (!p) {
      this.destroy(
        new ConnectionError('PROTOCOL_VIOLATION', `Response for unknown correlation id ${correlationId}`, this.ctx()),
      );
      return;
    }
    this.pending.delete(correlationId);
    if (p.abandoned) return;
    // KIP-511: a broker that does not know our ApiVersions version answers in v0, with
    // UNSUPPORTED_VERSION (35) and its own range. Detect that from the error code (bytes 4-5,
    // right after the v0 response header) and decode as v0.
    const version = p.api.key === 18 && frame.length >= 6 && frame.readInt16BE(4) === 35 ? 0 : p.version;
    const r = new Reader(frame);
    const what = `${p.api.name}Response v${version}`;
    try {
      decodeResponseHeader(r, responseHeaderVersion(p.api, version));
      const body = p.api.decodeResponse(r, version);
      r.check(what);
      this.settle(p, undefined, body);
    } catch (err) {
      // A frame we cannot decode leaves the stream position trustworthy (frames are length-prefixed),
      // so only this request fails.
      this.settle(p, err as Error);
    }
  }

  private onTimeout(correlationId: number, timeoutMs: number): void {
    const p = this.pending.get(correlationId);
    if (!p) return;
    this.pending.delete(correlationId);
    this.settle(p, new RequestTimeoutError(timeoutMs, { ...this.ctx(), api: p.api.name }));
    // The broker may still answer later; the connection's state is unknown, so close it (as Java does).
    this.destroy(
      new ConnectionError('CONNECTION_CLOSED', `Closed after a ${p.api.name} request timed out`, this.ctx()),
    );
  }

  private settle(p: Pending, err: Error | undefined, value?: unknown): void {
    if (p.timer) clearTimeout(p.timer);
    p.cleanup?.();
    if (p.abandoned) return;
    if (err) p.reject(err);
    else p.resolve(value);
  }

  private closedError(): Error {
    return this.closedWith ?? new ConnectionError('CONNECTION_CLOSED', 'Connection closed', this.ctx());
  }

  private ctx() {
    return { broker: this.broker };
  }
}
