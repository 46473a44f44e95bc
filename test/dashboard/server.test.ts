// `sluice dashboard`'s server against the suite's broker, without a browser: what the page is sent
// (SSE and the JSON snapshot) matches the admin API, read-only unless --allow-writes, the token, and
// the CLI's usage errors. The browser test (browser.test.ts) checks what the page shows.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { Admin } from '../../src/admin/admin.js';
import type { Snapshot } from '../../src/dashboard/sampler.js';
import { type Dashboard, startDashboard } from '../../src/dashboard/server.js';
import { testEnv } from '../helpers/env.js';
import { uniqueName, waitFor } from '../kafka/index.js';
import { shareGroupConfig, shareMember } from '../share/helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const env = testEnv();
const admins: Admin[] = [];
const dashboards: Dashboard[] = [];
after(async () => {
  for (const d of dashboards) await d.close();
  for (const a of admins) a.close();
});

function newAdmin(): Admin {
  const a = new Admin({ brokers: env.kafka.bootstrap, clientId: 'dashboard-test' });
  admins.push(a);
  return a;
}

async function start(o: Partial<Parameters<typeof startDashboard>[0]> = {}): Promise<Dashboard> {
  const d = await startDashboard({ admin: newAdmin(), port: 0, intervalMs: 200, window: 3, ...o });
  dashboards.push(d);
  return d;
}

interface Reply {
  status: number;
  body: string;
}

function request(url: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}) {
  return new Promise<Reply>((resolve, reject) => {
    const req = http.request(url, { method: init.method ?? 'GET', headers: init.headers, timeout: 30_000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** Reads the event stream until `until` holds for the events so far (bounded by a deadline). */
function readEvents(url: string, until: (events: { event: string; data: unknown }[]) => boolean) {
  return new Promise<{ event: string; data: unknown }[]>((resolve, reject) => {
    const events: { event: string; data: unknown }[] = [];
    const req = http.get(url, (res) => {
      let buf = '';
      res.on('data', (d) => {
        buf += d;
        let i = buf.indexOf('\n\n');
        while (i >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
          i = buf.indexOf('\n\n');
        }
        if (until(events)) {
          clearTimeout(timer);
          req.destroy();
          resolve(events);
        }
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`event stream: condition not met in 30 s; got ${events.map((e) => e.event).join(',')}`));
    }, 30_000);
    req.on('error', (err) => {
      if (!req.destroyed) reject(err);
    });
  });
}

async function groupWithLag(): Promise<{ topic: string; group: string }> {
  const topic = uniqueName('dash');
  const group = uniqueName('dash-group');
  await env.producer.createTopic(topic, 2);
  await env.producer.send(
    topic,
    0,
    Array.from({ length: 10 }, (_, i) => ({ value: `a${i}` })),
  );
  await env.producer.send(
    topic,
    1,
    Array.from({ length: 4 }, (_, i) => ({ value: `b${i}` })),
  );
  await newAdmin().alterGroupOffsets(group, [
    { topic, partition: 0, offset: 3 },
    { topic, partition: 1, offset: 4 },
  ]);
  return { topic, group };
}

describe('dashboard server', () => {
  test('the page, its script and the stream: groups, lag and status as the admin API has them', async () => {
    const { topic, group } = await groupWithLag();
    const d = await start({ groups: [group] });
    const page = await request(d.url);
    assert.equal(page.status, 200);
    assert.match(page.body, /<script src="app\.js"><\/script>/);
    assert.doesNotMatch(page.body, /https?:\/\/(?!www\.w3\.org)/, 'no external asset');
    const script = await request(new URL('app.js', d.url).href);
    assert.equal(script.status, 200);
    assert.match(script.body, /EventSource/);
    new vm.Script(script.body, { filename: 'app.js' }); // it parses (a syntax error would leave the page blank)
    // uPlot, the charts' library, is served by the dashboard itself.
    assert.match(page.body, /<script src="uplot\.js"><\/script>/);
    assert.match(page.body, /<link rel="stylesheet" href="uplot\.css">/);
    const uplot = await request(new URL('uplot.js', d.url).href);
    assert.equal(uplot.status, 200);
    assert.match(uplot.body, /uPlot/);
    const css = await request(new URL('uplot.css', d.url).href);
    assert.equal(css.status, 200);
    assert.match(css.body, /\.uplot/);

    // A status needs 2 samples of the window; then the empty group's lagging partition is STOP.
    const events = await readEvents(
      new URL('events', d.url).href,
      (es) =>
        es.some((e) => e.event === 'snapshot' && (e.data as Snapshot).groups[0]?.status === 'STOP') &&
        es.at(-1)?.event === 'point',
    );
    assert.equal(events[0]?.event, 'config');
    assert.deepEqual(events[0]?.data, { allowWrites: false, intervalMs: 200, historyMs: 300000 });
    const snap = events.filter((e) => e.event === 'snapshot').at(-1)!.data as Snapshot;
    const g = snap.groups[0]!;
    const lag = await newAdmin().groupLag(group);
    assert.equal(g.groupId, group);
    assert.equal(g.protocol, 'classic');
    assert.equal(g.state, 'Empty');
    assert.equal(g.totalLag, lag.totalLag);
    assert.equal(g.totalLag, 7);
    assert.deepEqual(
      g.partitions.map((p) => [p.topic, p.partition, p.committedOffset, p.logEndOffset, p.lag, p.status]),
      [
        [topic, 0, 3, 10, 7, 'STOP'],
        [topic, 1, 4, 4, 0, 'OK'],
      ],
    );
    const t = snap.topics.find((x) => x.topic === topic)!;
    assert.deepEqual(
      t.partitions.map((p) => [p.partition, p.startOffset, p.endOffset, p.replicas.length, p.isr.length]),
      [
        [0, 0, 10, 1, 1],
        [1, 0, 4, 1, 1],
      ],
    );
    // Points carry the lag per group once two rounds were taken.
    const points = events.filter((e) => e.event === 'point');
    assert.ok(points.length >= 1);
    assert.equal((points.at(-1)!.data as { lag: Record<string, number> }).lag[group], 7);
  });

  test('a share group: members and partitions, START, end, lag and status as the admin API has them', {
    timeout: 120_000,
  }, async () => {
    const topic = uniqueName('dash-share');
    const group = uniqueName('dash-sg');
    await env.producer.createTopic(topic, 2);
    await env.producer.fill(topic, 2, 40, 'r');
    await shareGroupConfig(env.kafka.bootstrap, group);
    const m = shareMember(env.kafka.bootstrap, group, topic);
    try {
      await waitFor(() => m.seen.length >= 40 || undefined, { timeoutMs: 60_000, what: 'all 40 records' });
      const admin = newAdmin();
      const d = await start({ groups: [group] });
      // Admin's answers and the dashboard's snapshot taken between two equal admin answers (the
      // start offsets move lazily): the page is sent what admin says, with a status once evaluated.
      const snapshot = async () =>
        JSON.parse((await request(new URL('api/snapshot', d.url).href)).body).snapshot as Snapshot | null;
      const answer = async () => {
        const [[description], lag] = await Promise.all([
          admin.describeShareGroups([group]),
          admin.shareGroupLag(group),
        ]);
        return {
          state: description!.state,
          members: description!.members
            .map((x) => ({
              memberId: x.memberId,
              clientId: x.clientId,
              assignment: x.assignment.map((tp) => `${tp.topic}:${tp.partition}`),
            }))
            .sort((a, b) => a.memberId.localeCompare(b.memberId)),
          totalLag: lag.totalLag,
          partitions: lag.partitions
            .map((p) => [p.topic, p.partition, p.startOffset, p.logEndOffset, p.lag] as const)
            .sort((a, b) => a[1] - b[1]),
        };
      };
      const shown = (g: Snapshot['groups'][number]) => ({
        state: g.state,
        members: g.members
          .map((x) => ({ memberId: x.memberId, clientId: x.clientId, assignment: x.assignment }))
          .sort((a, b) => a.memberId.localeCompare(b.memberId)),
        totalLag: g.totalLag,
        partitions: g.partitions.map((p) => [p.topic, p.partition, p.startOffset, p.logEndOffset, p.lag] as const),
      });
      const { g, expected } = await waitFor(
        async () => {
          const a = await answer();
          const g = (await snapshot())?.groups.find((x) => x.groupId === group);
          const b = await answer();
          if (!g?.status || a.members.length !== 1 || a.members[0]!.assignment.length !== 2) return undefined;
          const same = JSON.stringify(a) === JSON.stringify(b) && JSON.stringify(shown(g)) === JSON.stringify(a);
          return same ? { g, expected: a } : undefined;
        },
        { timeoutMs: 30_000, what: 'a snapshot of the share group matching admin' },
      );
      assert.equal(g.protocol, 'share');
      assert.equal(g.note, null);
      assert.equal(g.members.length, 1);
      assert.deepEqual(g.members[0]!.assignment.sort(), [`${topic}:0`, `${topic}:1`]);
      assert.deepEqual(shown(g), expected);
      for (const p of g.partitions) {
        assert.equal(p.committedOffset, null, 'a share group has no committed offset');
        assert.equal(typeof p.startOffset, 'number');
        assert.equal(p.logEndOffset, 20);
        assert.equal(p.owner, `${g.members[0]!.clientId}/${g.members[0]!.host}`);
        // Every record accepted: nothing left, the position (end − lag) at the end: OK.
        assert.equal(p.lag, 0);
        assert.equal(p.status, 'OK', p.reason);
      }
      assert.equal(g.status, 'OK');
      assert.equal(g.totalLag, 0);
      // The charts get the share group's lag too.
      const points = JSON.parse((await request(new URL('api/snapshot', d.url).href)).body).points as {
        lag: Record<string, number>;
      }[];
      assert.equal(points.at(-1)?.lag[group], 0);
    } finally {
      await m.consumer.close();
      await m.running;
    }
  });

  test('read-only by default: offset resets are refused; with allowWrites they reset the group', async () => {
    const { topic, group } = await groupWithLag();
    const body = JSON.stringify({ group, topic, to: 'latest' });
    const headers = { 'content-type': 'application/json' };
    const ro = await start({ groups: [group] });
    const refused = await request(new URL('api/reset-offsets', ro.url).href, { method: 'POST', body, headers });
    assert.equal(refused.status, 403);
    assert.equal((await newAdmin().groupLag(group)).totalLag, 7);

    const rw = await start({ groups: [group], allowWrites: true });
    const bad = await request(new URL('api/reset-offsets', rw.url).href, {
      method: 'POST',
      body: JSON.stringify({ group, topic, to: -1 }),
      headers,
    });
    assert.equal(bad.status, 400);
    const done = await request(new URL('api/reset-offsets', rw.url).href, { method: 'POST', body, headers });
    assert.equal(done.status, 200, done.body);
    assert.equal((await newAdmin().groupLag(group)).totalLag, 0);
  });

  test('a token is required on every request when set; the printed URL carries it', async () => {
    const d = await start({ token: 'secret-token-1' });
    assert.match(d.url, /\?token=secret-token-1$/);
    const base = d.url.replace(/\?.*$/, '');
    assert.equal((await request(base)).status, 401);
    assert.equal((await request(`${base}events`)).status, 401);
    assert.equal((await request(`${base}?token=wrong-token-1`)).status, 401);
    const page = await request(d.url);
    assert.equal(page.status, 200);
    // The page's own assets carry the token too, else the browser's requests for them are refused.
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    assert.deepEqual(assets.sort(), [
      'app.js?token=secret-token-1',
      'uplot.css?token=secret-token-1',
      'uplot.js?token=secret-token-1',
    ]);
    for (const a of assets) assert.equal((await request(new URL(a, d.url).href)).status, 200, a);
    const bearer = await request(`${base}api/snapshot`, { headers: { authorization: 'Bearer secret-token-1' } });
    assert.equal(bearer.status, 200);
  });

  test('no broker answering: each round says why (the page shows "broker unreachable, retrying"), never hangs', async () => {
    const admin = new Admin({ brokers: '127.0.0.1:1', clientId: 'dashboard-test' });
    admins.push(admin);
    const d = await startDashboard({ admin, port: 0, intervalMs: 200, timeoutMs: 1000 });
    dashboards.push(d);
    const events = await readEvents(
      new URL('events', d.url).href,
      (es) => es.filter((e) => e.event === 'snapshot').length >= 2,
    );
    for (const e of events.filter((x) => x.event === 'snapshot')) {
      const snap = e.data as Snapshot;
      assert.ok(snap.error, 'error set');
      assert.deepEqual(snap.groups, []);
    }
    assert.ok(!events.some((e) => e.event === 'point'));
  });

  test('20 open streams all receive each round; closing them leaves no client behind', async () => {
    const d = await start();
    const streams = await Promise.all(
      Array.from({ length: 20 }, () =>
        readEvents(new URL('events', d.url).href, (es) => es.filter((e) => e.event === 'snapshot').length >= 2),
      ),
    );
    assert.equal(streams.length, 20);
    const deadline = Date.now() + 10_000;
    while (d.clients > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(d.clients, 0);
  });
});

describe('sluice dashboard (CLI)', () => {
  function sluice(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), ...args], {
        cwd: root,
        env: { ...process.env, SLUICE_BROKERS: '', SLUICE_DASHBOARD_TOKEN: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => {
        stdout += d;
        // Serving: check the page answers, then stop it as Ctrl-C would.
        const url = /Dashboard: (\S+)/.exec(stdout)?.[1];
        if (url && !child.killed) {
          request(url).then(
            (r) => {
              stdout += `\nGET ${r.status}\n`;
              child.kill('SIGINT');
            },
            () => child.kill('SIGINT'),
          );
        }
      });
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  test('usage errors exit 2 with one line: beyond loopback without a token, bad port, bad interval', async () => {
    for (const [args, text] of [
      [['--host', '0.0.0.0'], /--host 0\.0\.0\.0 serves beyond this machine: set --token/],
      [['--port', 'x'], /--port must be 0…65535/],
      [['--interval', 'soon'], /--interval must be a duration/],
      [['--host', '0.0.0.0', '--token', 'short'], /--token must be at least 8 characters/],
    ] as const) {
      const run = await sluice(['dashboard', '-b', env.kafka.bootstrap, ...args]);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, text);
      assert.equal(run.stderr.trim().split('\n').length, 1);
    }
  });

  test('serves until interrupted, prints its URL, exits 0', async () => {
    const run = await sluice(['dashboard', '-b', env.kafka.bootstrap, '--port', '0']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Dashboard: http:\/\/127\.0\.0\.1:\d+\/\n/);
    assert.match(run.stdout, /GET 200/);
  });

  test('no broker: exit 3', async () => {
    const run = await sluice(['dashboard', '-b', '127.0.0.1:1', '--timeout', '2s', '--port', '0']);
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /^sluice dashboard: /);
  });
});
