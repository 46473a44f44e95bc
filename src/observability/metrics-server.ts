// The HTTP endpoint Prometheus scrapes: GET /metrics returns the registry in the text exposition
// format; anything else is 404. Listens on 127.0.0.1 unless told otherwise.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { ConfigError, SluiceError } from '../errors.js';

export interface MetricsServerOptions {
  /** TCP port; 0 picks a free one (see `url`). */
  port: number;
  /** Default 127.0.0.1: metrics can reveal topic names, expose them on purpose. */
  host?: string;
  /** Default: a new registry. */
  registry?: Registry;
}

export interface MetricsServer {
  registry: Registry;
  /** e.g. http://127.0.0.1:9464/metrics */
  url: string;
  close(): Promise<void>;
}

/** The port could not be listened on (in use, not permitted). */
export class MetricsServerError extends SluiceError {
  constructor(message: string, cause: unknown) {
    super(message, { code: 'METRICS_SERVER', cause });
  }
}

export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const { port, host = '127.0.0.1' } = opts;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError('port', `must be an integer from 0 to 65535, got ${port}`);
  }
  const registry = opts.registry ?? new Registry();
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: try GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(new MetricsServerError(`Cannot serve metrics on ${host}:${port}: ${err.message}`, err)),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    registry,
    url: `http://${shownHost}:${address.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
