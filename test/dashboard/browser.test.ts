// sluice-test-needs: chromium kafka
// The dashboard in headless Chromium against the suite's broker: a producer, two consumer groups (one
// member in a process of its own, two in this one). The page's groups, members, partitions and lag
// figures match the admin API's (a share group's too, on a page of its own); the charts receive new
// points (uPlot's data); killing the lone member of group A
// (SIGKILL) turns that group from OK to a warning status within the documented time: (window + 1) ×
// interval (docs/dashboard.md), here (5 + 1) × 500 ms = 3 s, asserted with a generous slack.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'puppeteer-core';
import { Admin } from '../../src/admin/admin.js';
import { Consumer } from '../../src/consumer/consumer.js';
import { type Dashboard, startDashboard } from '../../src/dashboard/server.js';
import { testEnv } from '../helpers/env.js';
import { uniqueName } from '../kafka/index.js';
import { shareGroupConfig, shareMember } from '../share/helpers.js';
import { chartPoints, launchBrowser, READ_GROUPS, type ShownGroup, seriesValues } from './browser.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const env = testEnv();
const INTERVAL_MS = 500;
const WINDOW = 5;

let admin: Admin;
let dashboard: Dashboard;
let browser: Browser;
let page: Page;
let child: ChildProcess | undefined;
const consumers: Consumer[] = [];
const running: Promise<void>[] = [];
let producing = true;
let stopProducer = false;
let producer: Promise<void> = Promise.resolve();
const topic = uniqueName('dash-topic');
const groupA = uniqueName('dash-a');
const groupB = uniqueName('dash-b');

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (let i = 0; Date.now() < deadline && i < 10_000; i++) {
    last = await fn();
    if (last) return last as T;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
}

const shown = () => page.evaluate(READ_GROUPS) as Promise<ShownGroup[]>;

describe('dashboard in headless Chromium', () => {
  before(async () => {
    admin = new Admin({ brokers: env.kafka.bootstrap, clientId: 'dash-browser-test' });
    await env.producer.createTopic(topic, 3);
    // The producer: 3 records per partition every 100 ms while `producing`, bounded in count.
    producer = (async () => {
      for (let i = 0; i < 3000 && !stopProducer; i++) {
        if (producing) {
          for (let p = 0; p < 3; p++)
            await env.producer.send(topic, p, [{ value: `v${i}` }, { value: `w${i}` }, { value: `x${i}` }]);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(root, 'test/dashboard/consumer-child.ts'), env.kafka.bootstrap, groupA, topic],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const childReady = new Promise<void>((resolve, reject) => {
      let out = '';
      child!.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('consuming')) resolve();
      });
      child!.on('exit', (code) => reject(new Error(`consumer child exited with ${code}`)));
    });
    for (const id of ['dash-b1', 'dash-b2']) {
      const c = new Consumer({
        brokers: env.kafka.bootstrap,
        groupId: groupB,
        clientId: id,
        autoCommitIntervalMs: 200,
      });
      c.subscribe(topic);
      consumers.push(c);
      running.push(c.run({ eachMessage: () => {} }));
    }
    await childReady;
    dashboard = await startDashboard({
      admin,
      port: 0,
      intervalMs: INTERVAL_MS,
      window: WINDOW,
      groups: [groupA, groupB],
    });
    browser = await launchBrowser();
    page = await browser.newPage();
    await page.goto(dashboard.url);
  });

  after(async () => {
    stopProducer = true;
    await producer;
    child?.kill('SIGKILL');
    for (const c of consumers) await c.close();
    await Promise.all(running);
    await browser?.close();
    await dashboard?.close();
    admin?.close();
  });

  test('groups, members and partitions on the page match the admin API', async () => {
    // Both groups settled: A has its member, B its two, each owning a partition, statuses evaluated.
    // (B's second member may join a round later: until then one member owns all three.)
    const ownedBy = (m: { owned: string }) => m.owned.split(', ').filter((s) => s.includes(':'));
    await until('both groups settled and OK on the page', async () => {
      const g = await shown();
      const a = g.find((x) => x.groupId === groupA);
      const b = g.find((x) => x.groupId === groupB);
      return (
        a?.status === 'OK' &&
        b?.status === 'OK' &&
        a.members.length === 1 &&
        b.members.length === 2 &&
        [...a.members, ...b.members].every((m) => ownedBy(m).length > 0)
      );
    });
    // What the admin API says, against what the page shows of the same (stable) membership. A page
    // round may be one interval behind the admin call, so compare the page's next rounds too.
    const compare = async () => {
      const described = await admin.describeGroups([groupA, groupB]);
      const groups = await shown();
      return described.map((d) => {
        const g = groups.find((x) => x.groupId === d.groupId)!;
        return {
          protocol: [g.protocol, 'classic'],
          members: [
            [...g.members]
              .map((m) => ({ memberId: m.memberId, owned: ownedBy(m) }))
              .sort((x, y) => x.memberId.localeCompare(y.memberId)),
            d.members
              .map((m) => ({ memberId: m.memberId, owned: m.assignment.map((tp) => `${tp.topic}:${tp.partition}`) }))
              .sort((x, y) => x.memberId.localeCompare(y.memberId)),
          ],
          partitions: [g.partitions.map((p) => p.key), [0, 1, 2].map((p) => `${topic}:${p}`)],
        };
      });
    };
    const same = (r: Awaited<ReturnType<typeof compare>>) =>
      r.every((x) => Object.values(x).every(([a, b]) => JSON.stringify(a) === JSON.stringify(b)));
    let last = await compare();
    for (let i = 0; i < 3 && !same(last); i++) {
      await new Promise((r) => setTimeout(r, INTERVAL_MS));
      last = await compare();
    }
    for (const g of last) for (const [onPage, fromAdmin] of Object.values(g)) assert.deepEqual(onPage, fromAdmin);
  });

  test('lag figures on the page match the admin API (production paused so they hold still)', async () => {
    producing = false;
    try {
      // Wait for both groups to commit everything, then for the page to show a round taken after that.
      await until('groups caught up', async () => {
        const lags = await Promise.all([groupA, groupB].map((g) => admin.groupLag(g)));
        return lags.every((l) => l.totalLag === 0 && l.partitions.every((p) => p.committedOffset !== null));
      });
      const settledAt = Date.now();
      await until('page shows a round after that', async () => {
        const t = (await page.evaluate('document.getElementById("meta").dataset.time')) as string | undefined;
        return Number(t) > settledAt + INTERVAL_MS;
      });
      const onPage = await shown();
      for (const groupId of [groupA, groupB]) {
        const lag = await admin.groupLag(groupId);
        const g = onPage.find((x) => x.groupId === groupId)!;
        assert.equal(g.totalLag, lag.totalLag);
        assert.deepEqual(
          g.partitions,
          lag.partitions.map((p) => ({
            key: `${p.topic}:${p.partition}`,
            committed: String(p.committedOffset),
            start: '', // a share group's column only
            end: String(p.logEndOffset),
            lag: String(p.lag),
          })),
        );
      }
    } finally {
      producing = true;
    }
  });

  test('the charts receive new points', async () => {
    const before = (await page.evaluate(chartPoints('lag'))) as number;
    assert.ok(before >= 1, `lag chart points: ${before}`);
    await until('three more points on every chart', async () => {
      const counts = (await Promise.all(
        ['lag', 'produceRate', 'consumeRate'].map((k) => page.evaluate(chartPoints(k))),
      )) as number[];
      return counts.every((n) => n >= before + 3);
    });
    // The produce-rate series of the topic has several points in uPlot's data, some above 0 (the
    // producer runs), and the chart's element says how many rounds it holds.
    const values = (await page.evaluate(seriesValues('produceRate', topic))) as number[] | -1;
    assert.ok(values !== -1, 'a produce-rate series for the topic');
    assert.ok(values.length >= 3, `points: ${values.length}`);
    assert.ok(
      values.some((v) => v > 0),
      `rates: ${values.join(',')}`,
    );
    const attr = (await page.evaluate(
      `Number(document.querySelector('[data-chart="produceRate"]').dataset.points)`,
    )) as number;
    assert.ok(attr >= before + 3, `data-points: ${attr}`);
    // uPlot drew them: its canvas is in the chart.
    assert.equal(await page.evaluate(`!!document.querySelector('[data-chart="produceRate"] .uplot canvas')`), true);
  });

  test('killing the consumer of group A turns its status from OK to a warning within (window + 1) × interval', async () => {
    const status = async (id: string) => (await shown()).find((g) => g.groupId === id)?.status;
    await until('group A OK before the kill', async () => (await status(groupA)) === 'OK');
    child!.kill('SIGKILL');
    const killedAt = Date.now();
    // WARN can come and go by itself (lag not decreasing between two rounds); a dead member's group
    // must reach STALL (its partitions still owned until its session times out, commits stopped).
    const warned = await until(
      'group A turns STALL or STOP',
      async () => {
        const s = await status(groupA);
        return (s === 'STALL' || s === 'STOP') && s;
      },
      30_000,
    );
    const elapsed = Date.now() - killedAt;
    assert.ok(['STALL', 'STOP'].includes(warned), warned);
    // Documented: (window + 1) × interval; generous slack for a loaded machine (an admin round can be slow).
    assert.ok(elapsed <= (WINDOW + 1) * INTERVAL_MS + 10_000, `took ${elapsed} ms`);
    // Group B's members still consume and commit (with records arriving its lag may sit at WARN, never stuck).
    const b = (await shown()).find((g) => g.groupId === groupB)!;
    assert.equal(b.members.length, 2);
    assert.ok(!['STALL', 'STOP', 'ERR'].includes(b.status), b.status);
    assert.equal(
      await page.evaluate('document.querySelector(`[data-group="' + groupA + '"] .status`).classList.contains("s-OK")'),
      false,
    );
  });

  test('a share group on the page: its member and partitions, start, end and lag as admin has them', {
    timeout: 120_000,
  }, async () => {
    const shareGroup = uniqueName('dash-sg');
    await shareGroupConfig(env.kafka.bootstrap, shareGroup);
    const m = shareMember(env.kafka.bootstrap, shareGroup, topic);
    const d = await startDashboard({ admin, port: 0, intervalMs: INTERVAL_MS, window: WINDOW, groups: [shareGroup] });
    const tab = await browser.newPage();
    producing = false;
    try {
      await tab.goto(d.url);
      // Production paused: the member accepts everything, the figures hold still (the start offsets
      // move lazily, so compare until the page and two admin answers around it agree).
      const read = async () => {
        const [[described], lag] = await Promise.all([
          admin.describeShareGroups([shareGroup]),
          admin.shareGroupLag(shareGroup),
        ]);
        return {
          members: described!.members.map((x) => ({
            memberId: x.memberId,
            owned: x.assignment.map((tp) => `${tp.topic}:${tp.partition}`).join(', '),
          })),
          partitions: lag.partitions.map((p) => ({
            key: `${p.topic}:${p.partition}`,
            committed: '',
            start: p.startOffset === null ? '' : String(p.startOffset),
            end: String(p.logEndOffset),
            lag: p.lag === null ? '' : String(p.lag),
          })),
        };
      };
      const g = await until('the page shows the share group as admin has it', async () => {
        const before = JSON.stringify(await read());
        const onPage = ((await tab.evaluate(READ_GROUPS)) as ShownGroup[]).find((x) => x.groupId === shareGroup);
        const after = JSON.stringify(await read());
        if (!onPage?.status || onPage.members.length !== 1 || onPage.partitions.length !== 3) return false;
        const page = JSON.stringify({ members: onPage.members, partitions: onPage.partitions });
        return before === after && page === after && onPage;
      });
      assert.equal(g.protocol, 'share');
      assert.equal(g.members[0]!.owned, [0, 1, 2].map((p) => `${topic}:${p}`).join(', '));
      assert.deepEqual(
        await tab.evaluate(
          `[...document.querySelectorAll('[data-group] th')].map((th) => th.textContent).slice(0, 7).join(' ')`,
        ),
        'topic partition start end lag members status',
      );
    } finally {
      producing = true;
      await tab.close();
      await d.close();
      await m.consumer.close();
      await m.running;
    }
  });

  test('the server going away shows "disconnected, retrying"; it comes back by itself', async () => {
    const conn = () => page.evaluate('document.getElementById("conn").dataset.state') as Promise<string>;
    assert.equal(await conn(), 'live');
    const port = Number(new URL(dashboard.url).port);
    await dashboard.close();
    await until('disconnected shown', async () => (await conn()) === 'disconnected', 20_000);
    assert.equal(await page.evaluate('document.getElementById("conn").textContent'), 'disconnected, retrying');
    dashboard = await startDashboard({
      admin,
      port,
      intervalMs: INTERVAL_MS,
      window: WINDOW,
      groups: [groupA, groupB],
    });
    await until('live again', async () => (await conn()) === 'live', 20_000);
  });
});
