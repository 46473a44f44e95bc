// The demo (`npm start`) in parts: its order events, the broker port choice, and the whole run against
// the suite's broker, shortened to a few seconds — twice into the same database, as a second
// `npm start` does. The full `npm start` (its own broker, ~1 minute) is run by hand; see
// docs/demo-and-sink-cli.md.
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { describe, test } from 'node:test';
import { SinkError } from '../../src/sinks/errors.js';
import { startDemoDashboard } from '../../tools/demo/dashboard.js';
import { brokerPort, runDemo } from '../../tools/demo/main.js';
import { OrderGenerator } from '../../tools/demo/orders.js';
import { testEnv } from '../helpers/env.js';
import { uniqueName } from '../kafka/index.js';

const env = testEnv('sluice-demo-');

describe('demo', () => {
  test('order events: realistic fields, amount = Σ quantity × unit price, deterministic per seed', () => {
    const a = new OrderGenerator(7);
    const b = new OrderGenerator(7);
    const statuses = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const o = a.next(1_700_000_000_000);
      assert.deepEqual(b.next(1_700_000_000_000), o);
      assert.equal(o.orderId, `O-${String(i + 1).padStart(8, '0')}`);
      assert.match(o.customer.id, /^C\d+$/);
      assert.ok(o.items.length >= 1 && o.items.length <= 4);
      const sum = o.items.reduce((s, it) => s + it.quantity * it.unitPrice, 0);
      assert.ok(Math.abs(o.amount - sum) < 0.006, `${o.amount} vs ${sum}`);
      assert.match(o.currency, /^(EUR|GBP|USD|CAD)$/);
      assert.equal(o.timestamp, '2023-11-14T22:13:20.000Z');
      statuses.add(o.status);
    }
    assert.deepEqual([...statuses].sort(), ['cancelled', 'delivered', 'paid', 'placed', 'shipped']);
  });

  test('port 9092 taken: the broker gets a free port instead', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const held = (server.address() as net.AddressInfo).port;
    try {
      assert.deepEqual(await brokerPort(held), { taken: true });
    } finally {
      await new Promise((r) => server.close(r));
    }
    assert.deepEqual(await brokerPort(held), { port: held, taken: false });
  });

  test('a short demo, twice into the same database: all orders stored once, lag 0, the queries printed', async () => {
    const dbPath = path.join(env.dir, 'sluice-demo.db');
    for (let run = 1; run <= 2; run++) {
      let out = '';
      const result = await runDemo({
        brokers: [env.kafka.bootstrap],
        dbPath,
        // A broker of its own per `npm start` means a new topic each run; here, a new name.
        topic: uniqueName('orders'),
        groupId: uniqueName('sluice-demo'),
        backlogSeconds: 1,
        backlogRate: 3000,
        liveSeconds: 2,
        liveRate: 500,
        out: { write: (s: string) => (out += s) },
      });
      assert.ok(result.produced > 2000, String(result.produced));
      // The database starts over each run, so its totals are this run's orders, each exactly once.
      assert.equal(result.rows, result.produced, out);
      assert.equal(result.distinctOrders, result.produced);
      assert.equal(result.stored, result.produced);
      assert.equal(result.totalLag, 0, out);
      assert.match(out, /Created topic orders-\S+ with 6 partitions/);
      assert.match(out, /reached the end: stored [\d,]+ records/);
      assert.match(out, /topic +partition +stored +committed +end +lag\n/);
      assert.match(out, /total lag: 0\n/);
      assert.match(out, /Orders per status:[\s\S]*status +orders +percent/);
      assert.match(out, /Top 5 customers by orders[\s\S]*customer +name +orders +revenue +currency/);
      assert.match(out, /each exactly once/);
    }
  });

  test('a sink that fails stops the demo at once: the producer is stopped, nothing left running', async () => {
    const started = Date.now();
    await assert.rejects(
      runDemo({
        brokers: [env.kafka.bootstrap],
        dbPath: path.join(env.dir, 'no-such-dir', 'demo.db'),
        topic: uniqueName('orders'),
        groupId: uniqueName('sluice-demo'),
        backlogSeconds: 0.5,
        backlogRate: 1000,
        // Without the stop, the producer would go on for 2 minutes.
        liveSeconds: 120,
        liveRate: 100,
        out: { write: () => true },
      }),
      (err: unknown) => err instanceof SinkError && /open failed/.test(err.message),
    );
    assert.ok(Date.now() - started < 60_000, 'the live producer was stopped');
  });

  test("the demo's dashboard: serves the page on 127.0.0.1 (another port when the preferred one is taken), closes", async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const held = (server.address() as net.AddressInfo).port;
    const dashboard = await startDemoDashboard([env.kafka.bootstrap], held);
    try {
      const url = new URL(dashboard.url);
      assert.equal(url.hostname, '127.0.0.1');
      assert.notEqual(Number(url.port), held);
      const page = await fetch(dashboard.url);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /Sluice dashboard/);
    } finally {
      await dashboard.close();
      await new Promise((r) => server.close(r));
    }
    await assert.rejects(fetch(dashboard.url));
  });
});
