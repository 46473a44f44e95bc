// Prometheus metrics for a consumer (docs/lag-and-metrics.md), built with prom-client. The numbers
// come only from the consumer's diagnostics channels (channels.ts), so a consumer made elsewhere
// (runSink's, say) can be instrumented without a reference to it; instrumenting changes nothing in
// how the consumer behaves, and costs nothing until a registry is attached.
import diagnostics_channel from 'node:diagnostics_channel';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import {
  type ConsumerCommitEvent,
  type ConsumerErrorEvent,
  type ConsumerFetchEvent,
  type ConsumerRebalanceEvent,
  type ConsumerRecordsEvent,
  consumerCommitChannel,
  consumerErrorChannel,
  consumerFetchChannel,
  consumerRebalanceChannel,
  consumerRecordsChannel,
} from './channels.js';

export { type MetricsServer, type MetricsServerOptions, startMetricsServer } from './metrics-server.js';

/** Seconds; fetches park up to fetch.max.wait.ms (500 ms by default), commits are usually quick. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface InstrumentOptions {
  /**
   * Count only events of consumers with this client id. Without it, every consumer in the process
   * counts (the channels are process-wide).
   */
  clientId?: string;
}

/**
 * Registers the consumer metrics on `registry` and starts counting. Returns a function that stops
 * counting (the metrics stay registered with their last values).
 *
 * - `sluice_records_consumed_total{topic}`, `sluice_bytes_consumed_total{topic}` (key + value bytes):
 *   records decoded for delivery to the application.
 * - `sluice_consumer_lag{topic,partition}`: per partition, its high watermark − the consumer's fetch
 *   position as of the last Fetch response (as Java's records-lag); dropped when it is revoked or lost.
 * - `sluice_rebalances_total`: assignments received (one per completed rebalance).
 * - `sluice_commit_latency_seconds`, `sluice_fetch_latency_seconds`: histograms; a fetch's time
 *   includes the time the broker parked it waiting for data (fetch.max.wait.ms).
 * - `sluice_errors_total{code,source}`: errors met, retried or not, by stable code.
 */
export function instrumentConsumer(registry: Registry, opts: InstrumentOptions = {}): () => void {
  const mine = (e: { clientId: string }) => opts.clientId === undefined || e.clientId === opts.clientId;
  const records = new Counter({
    name: 'sluice_records_consumed_total',
    help: 'Records decoded for delivery to the application',
    labelNames: ['topic'],
    registers: [registry],
  });
  const bytes = new Counter({
    name: 'sluice_bytes_consumed_total',
    help: 'Key and value bytes of the records decoded for delivery',
    labelNames: ['topic'],
    registers: [registry],
  });
  const rebalances = new Counter({
    name: 'sluice_rebalances_total',
    help: 'Partition assignments received (one per completed rebalance)',
    registers: [registry],
  });
  const commitLatency = new Histogram({
    name: 'sluice_commit_latency_seconds',
    help: 'Time from sending an offset commit to the coordinator accepting it',
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const fetchLatency = new Histogram({
    name: 'sluice_fetch_latency_seconds',
    help: 'Time from sending a Fetch request to its response (includes fetch.max.wait.ms parking)',
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'sluice_errors_total',
    help: 'Errors met by the consumer, by code and where (fetch, fetch-partition, commit, consumer)',
    labelNames: ['code', 'source'],
    registers: [registry],
  });
  const lag = new Gauge({
    name: 'sluice_consumer_lag',
    help: 'High watermark minus the fetch position, per partition, as of the last Fetch response',
    labelNames: ['topic', 'partition'],
    registers: [registry],
  });

  const handlers: Array<[string, (message: unknown) => void]> = [
    [
      consumerRecordsChannel.name as string,
      (m) => {
        const e = m as ConsumerRecordsEvent;
        if (!mine(e)) return;
        records.inc({ topic: e.topic }, e.records);
        bytes.inc({ topic: e.topic }, e.bytes);
      },
    ],
    [
      consumerFetchChannel.name as string,
      (m) => {
        const e = m as ConsumerFetchEvent;
        if (!mine(e)) return;
        fetchLatency.observe(e.durationMs / 1000);
        for (const p of e.partitions) {
          if (p.position >= 0) {
            lag.set({ topic: p.topic, partition: String(p.partition) }, Math.max(0, p.highWatermark - p.position));
          }
        }
      },
    ],
    [
      consumerCommitChannel.name as string,
      (m) => {
        const e = m as ConsumerCommitEvent;
        if (mine(e)) commitLatency.observe(e.durationMs / 1000);
      },
    ],
    [
      consumerRebalanceChannel.name as string,
      (m) => {
        const e = m as ConsumerRebalanceEvent;
        if (!mine(e)) return;
        if (e.kind === 'assigned') rebalances.inc();
        else for (const p of e.partitions) lag.remove({ topic: p.topic, partition: String(p.partition) });
      },
    ],
    [
      consumerErrorChannel.name as string,
      (m) => {
        const e = m as ConsumerErrorEvent;
        if (mine(e)) errors.inc({ code: e.code, source: e.source });
      },
    ],
  ];
  for (const [name, fn] of handlers) diagnostics_channel.subscribe(name, fn);
  return () => {
    for (const [name, fn] of handlers) diagnostics_channel.unsubscribe(name, fn);
  };
}
