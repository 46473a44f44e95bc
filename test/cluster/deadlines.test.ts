// Every call settles within its own deadline (+ slack), however many calls share the work underneath:
// a broker that accepts TCP and never answers, one that answers ApiVersions and then nothing, one whose
// packets vanish (no connect, no error). Bounds are generous: these catch calls that outlive their
// deadline by seconds, not slow machines.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Admin } from '../../src/admin/admin.js';
import { Cluster } from '../../src/cluster/cluster.js';
import { TimeoutError } from '../../src/cluster/deadline.js';
import { resolveClientOptions } from '../../src/cluster/options.js';
import { silentLogger } from '../../src/logger.js';
import { AbortedError } from '../../src/network/errors.js';
import { blackholeSocketFactory, type FakeBroker, metadataResponse, startFakeBroker } from './fake-broker.js';
import { type Outcome, timed } from './timed.js';

const SLACK_MS = 1000;
const brokers: FakeBroker[] = [];
const clients: Array<{ close(): void }> = [];
after(async () => {
  for (const c of clients) c.close();
  await Promise.all(brokers.map((b) => b.close()));
});

async function fake(...args: Parameters<typeof startFakeBroker>) {
  const b = await startFakeBroker(...args);
  brokers.push(b);
  return b;
}

function admin(address: string, extra: Record<string, unknown> = {}) {
  const a = new Admin({ brokers: address, logger: silentLogger, ...extra });
  clients.push(a);
  return a;
}

function cluster(address: string, extra: Record<string, unknown> = {}) {
  const c = new Cluster(resolveClientOptions('Test', { brokers: address, logger: silentLogger, ...extra }));
  clients.push(c);
  return c;
}

function within(o: Outcome, deadlineMs: number, type: new (...a: never[]) => Error, label: string) {
  assert.ok(o.err instanceof type, `${label}: expected ${type.name}, got ${String(o.err)}`);
  assert.ok(o.ms <= deadlineMs + SLACK_MS, `${label}: settled after ${o.ms} ms against a ${deadlineMs} ms deadline`);
  // Not cut short either: a call that gives up early is as wrong as one that overruns.
  assert.ok(o.ms >= deadlineMs - 50, `${label}: gave up after ${o.ms} ms of ${deadlineMs} ms`);
}

test('10 concurrent admin calls, one silent broker (TCP accepted, nothing answered): each ends at its 3 s deadline', {
  timeout: 120_000,
}, async () => {
  const b = await fake({ mode: 'silent' });
  const a = admin(b.address);
  const calls = Array.from({ length: 10 }, (_, i) =>
    timed(() => (i % 2 ? a.listTopics({ timeoutMs: 3000 }) : a.describeCluster({ timeoutMs: 3000 }))),
  );
  const outcomes = await Promise.all(calls);
  console.log(`silent broker, 10 calls × 3000 ms: ${outcomes.map((o) => o.ms).join(', ')} ms`);
  for (const [i, o] of outcomes.entries()) within(o, 3000, TimeoutError, `call ${i}`);
});

test('different deadlines at once against a broker that answers only ApiVersions: each ends at its own', {
  timeout: 120_000,
}, async () => {
  const b = await fake({ mode: 'handshake' });
  const a = admin(b.address);
  const deadlines = [800, 1600, 2400, 800, 1600, 2400];
  const outcomes = await Promise.all(deadlines.map((ms) => timed(() => a.listTopics({ timeoutMs: ms }))));
  console.log(`handshake-only broker, deadlines ${deadlines.join('/')}: ${outcomes.map((o) => o.ms).join(', ')} ms`);
  for (const [i, o] of outcomes.entries()) within(o, deadlines[i]!, TimeoutError, `deadline ${deadlines[i]}`);
});

test('a black-holed broker (no connect, no error): calls end at their deadline, not at connectionTimeoutMs', {
  timeout: 120_000,
}, async () => {
  const hole = blackholeSocketFactory();
  const a = admin('10.0.0.1:9092', { socketFactory: hole.factory, connectionTimeoutMs: 10_000 });
  const deadlines = [1000, 2000, 1000, 2000];
  const outcomes = await Promise.all(deadlines.map((ms) => timed(() => a.describeCluster({ timeoutMs: ms }))));
  console.log(`black hole, deadlines ${deadlines.join('/')}: ${outcomes.map((o) => o.ms).join(', ')} ms`);
  for (const [i, o] of outcomes.entries()) within(o, deadlines[i]!, TimeoutError, `deadline ${deadlines[i]}`);
  // The calls shared one connection attempt rather than opening one each.
  assert.ok(hole.opened() <= 2, `${hole.opened()} sockets opened`);
});

test('a per-call timeoutMs bounds the very first connection (defaultApiTimeoutMs is 60 s)', {
  timeout: 120_000,
}, async () => {
  const b = await fake({ mode: 'silent' });
  const a = admin(b.address);
  const o = await timed(() => a.listTopics({ timeoutMs: 1500 }));
  console.log(`first connection, timeoutMs 1500: ${o.ms} ms`);
  within(o, 1500, TimeoutError, 'listTopics');
  assert.match(String((o.err as Error).message), /Listing topics did not complete within 1500 ms/);
});

test('multi-step admin calls (listGroups: connect, metadata, ListGroups) keep one deadline for the whole call', {
  timeout: 120_000,
}, async () => {
  // Metadata answers after 700 ms each time; ListGroups never: three steps of the same 1500 ms call.
  const b = await fake({
    handle: (req) =>
      req.apiKey === 3
        ? new Promise((r) =>
            setTimeout(() => r(metadataResponse([{ nodeId: 1, host: '127.0.0.1', port: b.port }])), 700),
          )
        : undefined,
  });
  const a = admin(b.address);
  const o = await timed(() => a.listGroups({ timeoutMs: 1500 }));
  console.log(`listGroups, timeoutMs 1500: ${o.ms} ms`);
  within(o, 1500, TimeoutError, 'listGroups');
});

test('metadata refreshes: a joiner with a shorter deadline leaves on time; the first caller aborting does not fail the others', {
  timeout: 120_000,
}, async () => {
  let answerAfter = 1500;
  const b = await fake({
    handle: (req) =>
      req.apiKey === 3
        ? new Promise((r) =>
            setTimeout(() => r(metadataResponse([{ nodeId: 1, host: '127.0.0.1', port: b.port }])), answerAfter),
          )
        : undefined,
  });
  const c = cluster(b.address);
  const first = new AbortController();
  const long = timed(() => c.refreshMetadata({ signal: first.signal, timeoutMs: 10_000 }));
  const short = timed(() => c.refreshMetadata({ timeoutMs: 500 }));
  const patient = timed(() => c.refreshMetadata({ timeoutMs: 10_000 }));
  setTimeout(() => first.abort(), 200);
  const s = await short;
  within(s, 500, TimeoutError, 'short joiner');
  const l = await long;
  assert.ok(l.err instanceof AbortedError, `the aborted caller: ${String(l.err)}`);
  assert.ok(l.ms < 200 + SLACK_MS, `the aborted caller settled after ${l.ms} ms`);
  answerAfter = 0;
  const p = await patient;
  assert.equal(p.err, undefined, `the patient caller: ${String(p.err)}`);
  assert.ok(p.ms < 10_000, `patient caller took ${p.ms} ms`);
  assert.equal(c.metadata.brokers.get(1)?.port, b.port);
});

test('coordinator lookups honour the caller: a silent FindCoordinator ends each call at its deadline', {
  timeout: 120_000,
}, async () => {
  const b = await fake({
    handle: (req) =>
      req.apiKey === 3 ? metadataResponse([{ nodeId: 1, host: '127.0.0.1', port: b.port }]) : undefined,
  });
  const a = admin(b.address);
  const deadlines = [700, 1400, 2100];
  const outcomes = await Promise.all(
    deadlines.map((ms, i) => timed(() => a.describeGroups(`group-${i}`, { timeoutMs: ms }))),
  );
  console.log(`silent FindCoordinator, deadlines ${deadlines.join('/')}: ${outcomes.map((o) => o.ms).join(', ')} ms`);
  for (const [i, o] of outcomes.entries()) within(o, deadlines[i]!, TimeoutError, `describeGroups ${deadlines[i]}`);

  // The cluster-level lookup with only a signal: aborting it ends it at once.
  const c = cluster(b.address);
  await c.connect({ timeoutMs: 5000 });
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 500);
  const o = await timed(() => c.coordinatorConnection('group', 'g', ac.signal));
  assert.ok(o.err instanceof AbortedError, String(o.err));
  assert.ok(o.ms < 500 + SLACK_MS, `aborted lookup settled after ${o.ms} ms`);
});

test('an AbortSignal ends a call during the first connection', { timeout: 120_000 }, async () => {
  const b = await fake({ mode: 'silent' });
  const a = admin(b.address);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 300);
  const o = await timed(() => a.listTopics({ signal: ac.signal }));
  assert.ok(o.err instanceof AbortedError, String(o.err));
  assert.ok(o.ms < 300 + SLACK_MS, `settled after ${o.ms} ms`);
});

test('many concurrent calls: no "possible EventTarget memory leak" warning from the shared signals', {
  timeout: 60_000,
}, async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  try {
    const b = await fake({ mode: 'silent' });
    const a = admin(b.address);
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => timed(() => a.listTopics({ timeoutMs: 300 }))));
    for (const [i, o] of outcomes.entries()) within(o, 300, TimeoutError, `call ${i}`);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(
      warnings.filter((w) => /MaxListeners/.test(w)),
      [],
    );
  } finally {
    process.off('warning', onWarning);
  }
});
