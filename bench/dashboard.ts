// `npm run bench:dashboard`: the dashboard server's memory while many pages stay open. Starts a broker
// (unless --bootstrap), a topic with a producer and a consumer group working on it (so every round has
// changing figures), `sluice dashboard` in a process of its own, and --pages open pages for --minutes;
// prints the server's resident memory (VmRSS) when the pages are open, each minute, and at the end,
// and how many rounds each page received (every page must get every round).
// By default a page is an event-stream client in this process (what the server does per page is the
// same as for a browser: one stream, each round written to it); --browser opens them as tabs of
// headless Chromium (Debian's chromium, as the tests), heavier on a 2-core machine.
//   npm run bench:dashboard [-- --pages 20] [--minutes 5] [--interval 1s] [--browser] [--bootstrap host:port]
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Consumer } from '../src/consumer/consumer.js';
import { Producer } from '../src/producer/producer.js';
import { launchBrowser } from '../test/dashboard/browser.js';
import { startKafka } from '../test/kafka/index.js';
import { root } from './lib/clients.js';
import { createTopic } from './lib/kafka.js';

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '20' },
    minutes: { type: 'string', default: '5' },
    interval: { type: 'string', default: '1s' },
    browser: { type: 'boolean', default: false },
    bootstrap: { type: 'string' },
  },
});
const pages = Number(values.pages);
const minutes = Number(values.minutes);

const kafka = values.bootstrap ? undefined : await startKafka();
const bootstrap = values.bootstrap ?? kafka!.bootstrap;
const topic = `bench-dashboard-${Date.now()}`;
await createTopic(bootstrap, topic, 6);
const producer = new Producer({ brokers: bootstrap, clientId: 'bench-dashboard' });
let stop = false;
const producing = (async () => {
  for (let i = 0; !stop && i < 1_000_000; i++) {
    await producer.send({ topic, messages: Array.from({ length: 100 }, (_, j) => ({ value: `r${i}-${j}` })) });
    await new Promise((r) => setTimeout(r, 50));
  }
})();
const consumer = new Consumer({ brokers: bootstrap, groupId: `${topic}-group`, clientId: 'bench-dashboard' });
consumer.subscribe(topic);
const consuming = consumer.run({ eachMessage: () => {} });

const server: ChildProcess = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    path.join(root, 'src/cli/main.ts'),
    'dashboard',
    '-b',
    bootstrap,
    '--port',
    '0',
    '--interval',
    values.interval,
  ],
  { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
);
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  server.stdout!.on('data', (d) => {
    out += d;
    const m = /Dashboard: (\S+)/.exec(out);
    if (m) resolve(m[1]!);
  });
  server.on('exit', (code) => reject(new Error(`dashboard exited with ${code}`)));
});

const rssMiB = () => {
  const status = readFileSync(`/proc/${server.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024;
};

const rounds: number[] = Array.from({ length: pages }, () => 0);
const requests: http.ClientRequest[] = [];
let closeBrowser: (() => Promise<void>) | undefined;
if (values.browser) {
  const browser = await launchBrowser();
  closeBrowser = () => browser.close();
  for (let i = 0; i < pages; i++) {
    const page = await browser.newPage();
    await page.exposeFunction('benchRound', () => rounds[i]!++);
    await page.evaluateOnNewDocument(
      "new EventSource('events').addEventListener('snapshot', () => window.benchRound());",
    );
    await page.goto(url);
  }
} else {
  for (let i = 0; i < pages; i++) {
    requests.push(
      http.get(new URL('events', url), (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          rounds[i]! += chunk.split('event: snapshot').length - 1;
        });
      }),
    );
  }
}

const rows: [string, number][] = [['pages open', rssMiB()]];
console.log(`Dashboard ${url}: ${pages} ${values.browser ? 'Chromium tabs' : 'event streams'} for ${minutes} min`);
console.log(`  pages open  RSS ${rows[0]![1].toFixed(1)} MiB`);
for (let m = 1; m <= minutes; m++) {
  await new Promise((r) => setTimeout(r, 60_000));
  const rss = rssMiB();
  rows.push([`minute ${m}`, rss]);
  console.log(
    `  minute ${m}    RSS ${rss.toFixed(1)} MiB  rounds per page ${Math.min(...rounds)}…${Math.max(...rounds)}`,
  );
}
const first = rows[1]?.[1] ?? rows[0]![1];
const last = rows.at(-1)![1];
console.log(
  `End: RSS ${last.toFixed(1)} MiB (after 1 min ${first.toFixed(1)} MiB, change ${(last - first).toFixed(1)} MiB); ` +
    `every page got ${Math.min(...rounds)}…${Math.max(...rounds)} rounds`,
);

for (const r of requests) r.destroy();
await closeBrowser?.();
server.kill('SIGINT');
stop = true;
await producing;
await consumer.close();
await consuming;
await producer.close();
await kafka?.close();
