// `sluice dashboard`'s HTTP server: the page, its script and uPlot (all built into the CLI, no CDN), a
// Server-Sent Events stream of the sampler's rounds, a JSON snapshot, and — only with allowWrites —
// offset resets. One sampling loop feeds every page; each round is serialised once and written to
// every open stream, so memory and broker load stay flat however many pages are open.
import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Admin } from '../admin/admin.js';
import { PAGE_HTML, PAGE_SCRIPT } from './page.js';
import { Sampler } from './sampler.js';
import { uplotAssets } from './uplot-assets.js';

export interface DashboardOptions {
  admin: Admin;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  groups?: string[] | undefined;
  intervalMs?: number;
  /** Samples per partition for the status (as `sluice lag --window`). */
  window?: number;
  /** How far back the charts go. */
  historyMs?: number;
  timeoutMs?: number;
  /** Lets the page reset a group's offsets (after a confirmation there). */
  allowWrites?: boolean;
  /** Required as `?token=` or `Authorization: Bearer` on every request when set. */
  token?: string | undefined;
}

export interface Dashboard {
  url: string;
  /** Open event streams (pages). */
  readonly clients: number;
  close(): Promise<void>;
}

const KEEPALIVE_MS = 15_000;

export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const intervalMs = o.intervalMs ?? 2000;
  const sampler = new Sampler({
    admin: o.admin,
    groups: o.groups,
    window: o.window ?? 5,
    historyPoints: Math.max(2, Math.ceil((o.historyMs ?? 300_000) / intervalMs)),
    timeoutMs: o.timeoutMs ?? Math.max(5000, intervalMs * 2),
  });
  const clients = new Set<http.ServerResponse>();
  const allowWrites = Boolean(o.allowWrites);
  // The page's assets are fetched with the token too (a relative `app.js` drops the page's query).
  const page = PAGE_HTML.replaceAll('{{q}}', o.token ? `?token=${encodeURIComponent(o.token)}` : '');
  const config = JSON.stringify({ allowWrites, intervalMs, historyMs: o.historyMs ?? 300_000 });

  const broadcast = (event: string, data: unknown) => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of clients) res.write(frame);
  };

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const loop = async () => {
    const { snapshot, point } = await sampler.sample();
    if (stopped) return;
    broadcast('snapshot', snapshot);
    if (point) broadcast('point', point);
    timer = setTimeout(loop, intervalMs);
  };
  const keepalive = setInterval(() => {
    for (const res of clients) res.write(': keepalive\n\n');
  }, KEEPALIVE_MS);
  keepalive.unref();

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) send(res, 500, 'application/json', JSON.stringify({ error: err.message }));
      else res.end();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    if (o.token !== undefined && !tokenMatches(o.token, req, url)) {
      send(res, 401, 'text/plain', 'sluice dashboard: missing or wrong token (open the URL printed at start)\n');
      return;
    }
    if (req.method === 'GET' && url.pathname === '/') return send(res, 200, 'text/html; charset=utf-8', page);
    if (req.method === 'GET' && url.pathname === '/app.js') {
      return send(res, 200, 'text/javascript; charset=utf-8', PAGE_SCRIPT);
    }
    if (req.method === 'GET' && url.pathname === '/uplot.js') {
      return send(res, 200, 'text/javascript; charset=utf-8', uplotAssets().js, 'private, max-age=86400');
    }
    if (req.method === 'GET' && url.pathname === '/uplot.css') {
      return send(res, 200, 'text/css; charset=utf-8', uplotAssets().css, 'private, max-age=86400');
    }
    if (req.method === 'GET' && url.pathname === '/api/snapshot') {
      return send(res, 200, 'application/json', JSON.stringify({ snapshot: sampler.snapshot, points: sampler.points }));
    }
    if (req.method === 'GET' && url.pathname === '/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      // The page reconnects by itself (EventSource) after this long when the server goes away.
      res.write(`retry: 2000\nevent: config\ndata: ${config}\n\n`);
      res.write(`event: history\ndata: ${JSON.stringify(sampler.points)}\n\n`);
      if (sampler.snapshot) res.write(`event: snapshot\ndata: ${JSON.stringify(sampler.snapshot)}\n\n`);
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    if (req.method === 'POST' && url.pathname === '/api/reset-offsets') {
      if (!allowWrites) {
        return send(res, 403, 'application/json', JSON.stringify({ error: 'read-only: start with --allow-writes' }));
      }
      const body = await readBody(req, 10_000);
      const result = await resetOffsets(o.admin, body, o.timeoutMs ?? 10_000);
      return send(res, result.status, 'application/json', JSON.stringify(result.body));
    }
    send(res, 404, 'text/plain', 'not found\n');
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 8080, o.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  void loop();
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}/${o.token ? `?token=${encodeURIComponent(o.token)}` : ''}`;
  return {
    url,
    get clients() {
      return clients.size;
    },
    async close() {
      stopped = true;
      clearTimeout(timer);
      clearInterval(keepalive);
      for (const res of clients) res.end();
      clients.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
    },
  };
}

/** `cache`: uPlot's files never change within a version, so pages reconnecting need not fetch them again. */
function send(res: http.ServerResponse, status: number, type: string, body: string, cache = 'no-store'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': cache, 'x-content-type-options': 'nosniff' });
  res.end(body);
}

function tokenMatches(token: string, req: http.IncomingMessage, url: URL): boolean {
  const auth = req.headers.authorization;
  const given = auth?.startsWith('Bearer ') ? auth.slice(7) : (url.searchParams.get('token') ?? '');
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readBody(req: http.IncomingMessage, limit: number): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return null;
  }
}

/**
 * `{ group, topic, to }` with `to` earliest, latest or an offset: sets the group's committed offset of
 * every partition of the topic. Kafka accepts it only while the group has no members (the broker's
 * error says so otherwise).
 */
async function resetOffsets(
  admin: Admin,
  body: unknown,
  timeoutMs: number,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const b = (body ?? {}) as { group?: unknown; topic?: unknown; to?: unknown };
  const to = b.to;
  if (
    typeof b.group !== 'string' ||
    !b.group ||
    typeof b.topic !== 'string' ||
    !b.topic ||
    !(to === 'earliest' || to === 'latest' || (typeof to === 'number' && Number.isSafeInteger(to) && to >= 0))
  ) {
    return {
      status: 400,
      body: { error: 'expected {"group": string, "topic": string, "to": "earliest"|"latest"|offset ≥ 0}' },
    };
  }
  try {
    const [topic] = await admin.describeTopics([b.topic], { timeoutMs });
    const partitions = (topic?.partitions ?? []).map((p) => ({ topic: b.topic as string, partition: p.partition }));
    const offsets =
      typeof to === 'number'
        ? partitions.map((p) => ({ ...p, offset: to }))
        : (
            await admin.listOffsets(
              partitions.map((p) => ({ ...p, at: to })),
              { timeoutMs },
            )
          ).map((o) => ({
            topic: o.topic,
            partition: o.partition,
            offset: o.offset,
          }));
    await admin.alterGroupOffsets(b.group, offsets, { timeoutMs });
    return { status: 200, body: { ok: true, offsets } };
  } catch (err) {
    return { status: 409, body: { error: (err as Error).message.split('\n')[0] } };
  }
}
