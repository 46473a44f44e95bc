import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { Consumer } from '../../src/consumer/consumer.js';
import { ConfigError } from '../../src/errors.js';
import {
  consumerFetchChannel,
  consumerRebalanceChannel,
  publishConsumerError,
} from '../../src/observability/channels.js';
import { instrumentConsumer, startMetricsServer } from '../../src/observability/metrics.js';
import { startConsumerMetrics } from '../../src/observability/metrics-cli.js';
import { MetricsServerError } from '../../src/observability/metrics-server.js';
import { testEnv } from '../helpers/env.js';
import { uniqueName } from '../kafka/index.js';
import { parseExposition, seriesValue } from './exposition.js';

const env = testEnv();

function get(url: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('timeout', () => req.destroy(new Error('scrape timed out')));
    req.on('error', reject);
    req.end();
  });
}

describe('metrics of a consumer against the real broker', () => {
  test('scraped while consuming: valid exposition, records and bytes equal what was consumed', async () => {
    const topic = uniqueName('metrics');
    const clientId = uniqueName('metrics-client');
    await env.producer.createTopic(topic, 3);
    const total = 600;
    await env.producer.fill(topic, 3, total);

    const consumer = new Consumer({
      brokers: env.kafka.bootstrap,
      groupId: uniqueName('metrics-group'),
      clientId,
      autoOffsetReset: 'earliest',
      autoCommit: false,
    });
    const metrics = await startConsumerMetrics(0, { clientId });
    assert.match(metrics.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    consumer.subscribe(topic);
    let seen = 0;
    let bytes = 0;
    let done!: () => void;
    const all = new Promise<void>((r) => {
      done = r;
    });
    const deadline = setTimeout(() => consumer.close(), 60_000);
    const running = consumer.run({
      eachMessage: (r) => {
        seen++;
        bytes += (r.key?.length ?? 0) + (r.value?.length ?? 0);
        if (seen === total) done();
      },
    });
    try {
      await Promise.race([all, running]);
      assert.equal(seen, total);
      await consumer.commit();

      // Scraped over HTTP while the consumer still runs.
      const res = await get(metrics.url);
      assert.equal(res.status, 200);
      assert.match(res.type, /^text\/plain; version=0\.0\.4/);
      const families = parseExposition(res.body);

      assert.equal(families.get('sluice_records_consumed_total')?.type, 'counter');
      assert.equal(seriesValue(families, 'sluice_records_consumed_total', { topic }), total);
      assert.equal(seriesValue(families, 'sluice_bytes_consumed_total', { topic }), bytes);
      assert.equal(seriesValue(families, 'sluice_rebalances_total'), 1);
      assert.equal(families.get('sluice_commit_latency_seconds')?.type, 'histogram');
      assert.equal(seriesValue(families, 'sluice_commit_latency_seconds_count'), 1);
      assert.ok((seriesValue(families, 'sluice_commit_latency_seconds_sum') ?? -1) >= 0);
      assert.ok((seriesValue(families, 'sluice_fetch_latency_seconds_count') ?? 0) >= 1);
      // Everything fetched and consumed: each assigned partition is caught up.
      const lag = families.get('sluice_consumer_lag');
      assert.equal(lag?.type, 'gauge');
      assert.deepEqual(lag?.samples.map((s) => [s.labels.topic, s.labels.partition, s.value]).sort(), [
        [topic, '0', 0],
        [topic, '1', 0],
        [topic, '2', 0],
      ]);
      assert.equal(families.get('sluice_errors_total')?.samples.length, 0);

      assert.equal((await get(metrics.url.replace('/metrics', '/other'))).status, 404);
    } finally {
      clearTimeout(deadline);
      await consumer.close();
      await running;
      await metrics.close();
    }
  });
});

describe('metrics without a broker', () => {
  test('lag per partition from fetches, dropped on revoke; errors counted by code and source; other clients ignored', async () => {
    const registry = new Registry();
    const stop = instrumentConsumer(registry, { clientId: 'me' });
    try {
      const fetched = {
        broker: 1,
        durationMs: 12,
        partitions: [
          { topic: 'orders', partition: 0, highWatermark: 10, position: 4 },
          { topic: 'orders', partition: 1, highWatermark: 3, position: -1 },
          { topic: 'orders', partition: 2, highWatermark: 7, position: 9 },
        ],
      };
      consumerFetchChannel.publish({ clientId: 'me', ...fetched });
      consumerFetchChannel.publish({ clientId: 'someone-else', ...fetched, durationMs: 5000 });
      publishConsumerError('me', 'fetch', Object.assign(new Error('x'), { code: 'NOT_LEADER_OR_FOLLOWER' }));
      publishConsumerError('me', 'fetch', Object.assign(new Error('x'), { code: 'NOT_LEADER_OR_FOLLOWER' }));
      publishConsumerError('me', 'commit', new Error('no code'));
      publishConsumerError('someone-else', 'commit', new Error('not mine'));
      let families = parseExposition(await registry.metrics());
      // Partition 1 has no position yet: no series; a position past the watermark is lag 0.
      assert.deepEqual(
        families.get('sluice_consumer_lag')?.samples.map((s) => [s.labels.partition, s.value]),
        [
          ['0', 6],
          ['2', 0],
        ],
      );
      assert.equal(seriesValue(families, 'sluice_fetch_latency_seconds_count'), 1);
      assert.equal(seriesValue(families, 'sluice_fetch_latency_seconds_sum'), 0.012);
      assert.equal(
        seriesValue(families, 'sluice_errors_total', { code: 'NOT_LEADER_OR_FOLLOWER', source: 'fetch' }),
        2,
      );
      assert.equal(seriesValue(families, 'sluice_errors_total', { code: 'UNKNOWN', source: 'commit' }), 1);

      consumerRebalanceChannel.publish({
        clientId: 'me',
        groupId: 'g',
        kind: 'revoked',
        partitions: [{ topic: 'orders', partition: 0 }],
      });
      consumerRebalanceChannel.publish({ clientId: 'me', groupId: 'g', kind: 'assigned', partitions: [] });
      families = parseExposition(await registry.metrics());
      assert.deepEqual(
        families.get('sluice_consumer_lag')?.samples.map((s) => s.labels.partition),
        ['2'],
      );
      assert.equal(seriesValue(families, 'sluice_rebalances_total'), 1);
    } finally {
      stop();
    }
    // Stopped: nothing more is counted.
    publishConsumerError('me', 'commit', new Error('after stop'));
    const after = parseExposition(await registry.metrics());
    assert.equal(seriesValue(after, 'sluice_errors_total', { code: 'UNKNOWN', source: 'commit' }), 1);
  });

  test('the server rejects a bad port with a ConfigError and a taken one with METRICS_SERVER', async () => {
    for (const port of [-1, 65536, 1.5, Number.NaN]) {
      await assert.rejects(startMetricsServer({ port }), ConfigError);
    }
    const first = await startMetricsServer({ port: 0 });
    try {
      const port = Number(new URL(first.url).port);
      await assert.rejects(startMetricsServer({ port }), (err: unknown) => {
        assert.ok(err instanceof MetricsServerError);
        assert.equal(err.code, 'METRICS_SERVER');
        return true;
      });
    } finally {
      await first.close();
    }
  });

  test('the exposition parser refuses malformed text', () => {
    const bad = [
      'x 1', // no newline at the end
      'no_type 1\n', // undeclared family
      '# TYPE a counter\na{b="1} 1\n', // unterminated label
      '# TYPE a counter\na 1\na 2\n', // duplicate series
      '# TYPE a gauge\na one\n', // bad value
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\n', // not cumulative
      '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_count 1\n', // +Inf != count
    ];
    for (const text of bad) assert.throws(() => parseExposition(text), Error, JSON.stringify(text));
    const ok = parseExposition('# HELP a A.\n# TYPE a counter\na_total{x="q\\"uote"} 3\n');
    assert.equal(seriesValue(ok, 'a_total', { x: 'q"uote' }), 3);
  });
});
