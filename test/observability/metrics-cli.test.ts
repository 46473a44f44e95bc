import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command, CommanderError } from 'commander';
import {
  consumerErrorChannel,
  consumerFetchChannel,
  consumerRecordsChannel,
} from '../../src/observability/channels.js';
import { addMetricsOption, startConsumerMetrics } from '../../src/observability/metrics-cli.js';
import { MetricsServerError } from '../../src/observability/metrics-server.js';

function parse(args: string[]): Record<string, unknown> {
  let seen: Record<string, unknown> = {};
  const program = new Command('sluice').exitOverride();
  addMetricsOption(program.command('consume').exitOverride())
    .configureOutput({ writeErr: () => {} })
    .action((opts: Record<string, unknown>) => {
      seen = opts;
    });
  program.parse(['node', 'sluice', 'consume', ...args]);
  return seen;
}

test('addMetricsOption: --metrics-port is a port number, --metrics-host defaults to 127.0.0.1', () => {
  assert.deepEqual(parse([]), { metricsHost: '127.0.0.1' });
  assert.deepEqual(parse(['--metrics-port', '9464']), { metricsPort: 9464, metricsHost: '127.0.0.1' });
  assert.deepEqual(parse(['--metrics-port', '0', '--metrics-host', '::1']), { metricsPort: 0, metricsHost: '::1' });
  for (const bad of ['x', '-1', '65536', '1.5', '']) {
    assert.throws(
      () => parse(['--metrics-port', bad]),
      (err: unknown) => err instanceof CommanderError && err.code === 'commander.invalidArgument',
      bad,
    );
  }
});

test('startConsumerMetrics: serves on the port asked, and a taken port is METRICS_SERVER', async () => {
  const first = await startConsumerMetrics(0);
  try {
    const port = Number(new URL(first.url).port);
    assert.ok(port > 0);
    await assert.rejects(startConsumerMetrics(port), MetricsServerError);
    // The first endpoint still answers.
    const res = await fetch(first.url);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /# TYPE sluice_records_consumed_total counter/);
  } finally {
    await first.close();
  }
  // Neither the failed start nor the closed one left a subscriber behind.
  for (const ch of [consumerRecordsChannel, consumerFetchChannel, consumerErrorChannel])
    assert.equal(ch.hasSubscribers, false);
});
