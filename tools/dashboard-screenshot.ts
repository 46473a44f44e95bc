// `npm run docs:screenshot`: docs/dashboard.png, the screenshot in docs/dashboard.md, made with the
// browser tests' harness (test/dashboard/browser.ts: Debian's chromium driven by puppeteer-core).
// Starts a broker (unless --bootstrap), a topic `orders` with a producer, two consumer groups
// (`billing` keeps up; `analytics` is slow, so it lags), a share group (`fulfilment`, two members),
// the dashboard in-process, and takes the
// screenshot once the charts have --seconds of points.
//   npm run docs:screenshot [-- --seconds 40] [--bootstrap host:port] [--out docs/dashboard.png]
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Admin } from '../src/admin/admin.js';
import { Consumer } from '../src/consumer/consumer.js';
import { startDashboard } from '../src/dashboard/server.js';
import { Producer } from '../src/producer/producer.js';
import { ShareConsumer } from '../src/share/share-consumer.js';
import { launchBrowser } from '../test/dashboard/browser.js';
import { startKafka } from '../test/kafka/index.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '40' },
    bootstrap: { type: 'string' },
    out: { type: 'string', default: 'docs/dashboard.png' },
  },
});
const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '..');
const kafka = values.bootstrap ? undefined : await startKafka();
const bootstrap = values.bootstrap ?? kafka!.bootstrap;
const admin = new Admin({ brokers: bootstrap, clientId: 'screenshot' });
const topic = 'orders';
await admin.createTopics([{ topic, numPartitions: 3, replicationFactor: 1 }]).catch(() => {});
const producer = new Producer({ brokers: bootstrap, clientId: 'orders-api' });
let stop = false;
const producing = (async () => {
  for (let i = 0; !stop && i < 100_000; i++) {
    // A rate that rises and falls, so the charts have a shape.
    const n = 20 + Math.round(15 * Math.sin(i / 15));
    await producer.send({ topic, messages: Array.from({ length: n }, (_, j) => ({ value: `order-${i}-${j}` })) });
    await new Promise((r) => setTimeout(r, 100));
  }
})();
const consumers: Consumer[] = [];
const running: Promise<void>[] = [];
for (const [groupId, clientId, delayMs] of [
  ['billing', 'billing-1', 0],
  ['billing', 'billing-2', 0],
  ['analytics', 'analytics-1', 8],
] as const) {
  const c = new Consumer({ brokers: bootstrap, groupId, clientId, autoCommitIntervalMs: 500 });
  c.subscribe(topic);
  consumers.push(c);
  running.push(c.run({ eachMessage: () => (delayMs ? new Promise<void>((r) => setTimeout(r, delayMs)) : undefined) }));
}
// A share group: its members share the partitions; it starts from the earliest records.
await admin
  .alterConfigs([
    { type: 'group', name: 'fulfilment', changes: [{ name: 'share.auto.offset.reset', value: 'earliest' }] },
  ])
  .catch(() => {});
const shareMembers = ['fulfilment-1', 'fulfilment-2'].map((clientId) => {
  const m = new ShareConsumer({ brokers: bootstrap, groupId: 'fulfilment', clientId, fetchMaxWaitMs: 200 });
  m.subscribe(topic);
  running.push(m.run({ eachMessage: () => new Promise<void>((r) => setTimeout(r, 2)) }));
  return m;
});
const dashboard = await startDashboard({ admin, port: 0, intervalMs: 1000, window: 5, historyMs: 60_000 });
const browser = await launchBrowser();
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 1000 });
  await page.goto(dashboard.url);
  await new Promise((r) => setTimeout(r, Number(values.seconds) * 1000));
  const out = path.resolve(root, values.out);
  await page.screenshot({ path: out as `${string}.png`, fullPage: true });
  console.log(`Wrote ${path.relative(process.cwd(), out)}`);
} finally {
  await browser.close();
  stop = true;
  await producing;
  for (const c of consumers) await c.close();
  for (const m of shareMembers) await m.close();
  await Promise.all(running);
  await producer.close();
  await dashboard.close();
  admin.close();
  await kafka?.close();
}
