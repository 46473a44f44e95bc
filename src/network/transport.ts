import * as net from 'node:net';
import { isIP, type Socket } from 'node:net';
import * as tls from 'node:tls';
import { AbortedError, ConnectionError, invalidAddress } from './errors.js';
import { timerDelay } from './timeouts.js';

/** TLS settings; `true` means TLS with the system's trusted CAs. */
export interface TlsOptions {
  /** PEM CA certificate(s) to trust instead of the system store. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** PEM client certificate chain (mutual TLS). */
  cert?: string | Buffer;
  /** PEM private key for `cert`. */
  key?: string | Buffer;
  passphrase?: string;
  /** SNI and certificate name check; defaults to the broker's host name (never an IP). */
  servername?: string;
  /** Default true. Turning it off accepts any certificate: only for tests. */
  rejectUnauthorized?: boolean;
}

export interface SocketOptions {
  host: string;
  port: number;
  tls?: TlsOptions | boolean | undefined;
  /** Time allowed for the TCP (and TLS) handshake (`socket.connection.setup.timeout.ms`). */
  connectionTimeoutMs: number;
  /**
   * Replaces how sockets are opened (tests inject faults this way). Must return a socket that
   * emits `connect` (or `secureConnect` when TLS is on) or `error`.
   */
  socketFactory?: ((opts: SocketOptions) => Socket) | undefined;
}

/** Reads into caller-supplied buffers (plain TCP only): see FrameReader. */
export interface ReadInto {
  buffer: () => Buffer;
  callback: (n: number) => void;
}

function createSocket(opts: SocketOptions, readInto?: ReadInto): Socket {
  if (opts.socketFactory) return opts.socketFactory(opts);
  if (!opts.tls) {
    return net.connect({
      host: opts.host,
      port: opts.port,
      noDelay: true,
      ...(readInto
        ? {
            onread: {
              buffer: readInto.buffer,
              callback: (n: number) => {
                readInto.callback(n);
                return true;
              },
            },
          }
        : {}),
    });
  }
  const t: TlsOptions = opts.tls === true ? {} : opts.tls;
  const servername = t.servername ?? (isIP(opts.host) ? undefined : opts.host);
  return tls.connect({
    host: opts.host,
    port: opts.port,
    ca: t.ca,
    cert: t.cert,
    key: t.key,
    passphrase: t.passphrase,
    servername,
    rejectUnauthorized: t.rejectUnauthorized ?? true,
    noDelay: true,
  } as tls.ConnectionOptions);
}

/**
 * Opens a TCP or TLS socket, failing with a typed error on refusal, timeout, TLS failure or abort.
 * With `readInto`, a plain TCP socket reads into the buffers it supplies (no 'data' events); the
 * result says whether that happened, so the caller knows where its bytes will arrive.
 */
export function openSocket(opts: SocketOptions, signal?: AbortSignal, readInto?: ReadInto): Promise<Socket> {
  const broker = `${opts.host}:${opts.port}`;
  if (signal?.aborted) return Promise.reject(new AbortedError('Connect aborted', signal.reason));
  const bad = invalidAddress(opts.host, opts.port);
  if (bad) {
    return Promise.reject(new ConnectionError('INVALID_BROKER_ADDRESS', `Cannot connect: ${bad}`, { broker }));
  }
  return new Promise<Socket>((resolve, reject) => {
    let socket: Socket;
    try {
      socket = createSocket(opts, readInto);
    } catch (err) {
      // net.connect throws synchronously on arguments it cannot use (and a socketFactory may throw).
      reject(new ConnectionError('CONNECTION_CLOSED', `Cannot connect: ${(err as Error).message}`, { broker }, err));
      return;
    }
    const readyEvent = opts.tls ? 'secureConnect' : 'connect';
    const finish = (err?: Error) => {
      clearTimeout(timer);
      socket.off(readyEvent, onReady);
      socket.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
      if (err) {
        socket.destroy();
        reject(err);
      } else {
        resolve(socket);
      }
    };
    const onReady = () => finish();
    const onError = (err: NodeJS.ErrnoException) => {
      if (opts.tls && !/^E[A-Z]+$/.test(err.code ?? '')) {
        // Certificate and TLS protocol failures (ERR_TLS_*, ERR_SSL_*, DEPTH_ZERO_SELF_SIGNED_CERT, …).
        finish(new ConnectionError('TLS_FAILED', `TLS handshake failed: ${err.message}`, { broker }, err));
      } else if (err.code === 'ECONNREFUSED') {
        finish(new ConnectionError('CONNECTION_REFUSED', 'Connection refused', { broker }, err));
      } else {
        finish(new ConnectionError('CONNECTION_CLOSED', `Cannot connect: ${err.message}`, { broker }, err));
      }
    };
    const onAbort = () => finish(new AbortedError('Connect aborted', signal?.reason));
    const timer = setTimeout(
      () =>
        finish(
          new ConnectionError('CONNECTION_TIMEOUT', `No connection within ${opts.connectionTimeoutMs} ms`, { broker }),
        ),
      timerDelay(opts.connectionTimeoutMs),
    );
    socket.once(readyEvent, onReady);
    socket.on('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
