// What `sluice consume` and `sluice sink` call to offer `--metrics-port`: the option, and starting
// the endpoint for their consumer. prom-client is loaded only when the option is used.
import { type Command, InvalidArgumentError, Option } from 'commander';

/** Adds `--metrics-port <port>` (and `--metrics-host`) to a command. */
export function addMetricsOption(command: Command): Command {
  return command
    .addOption(
      new Option('--metrics-port <port>', 'serve Prometheus metrics on this port (GET /metrics)').argParser(parsePort),
    )
    .addOption(new Option('--metrics-host <host>', 'address the metrics endpoint listens on').default('127.0.0.1'));
}

function parsePort(text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port from 0 to 65535');
  return n;
}

export interface ConsumerMetricsHandle {
  url: string;
  /** Stops counting and closes the endpoint. */
  close(): Promise<void>;
}

/**
 * Serves Prometheus metrics of the process's consumers on `port` (see metrics.ts for the list); start
 * it before the consumer so that its first rebalance and fetches count. `clientId`: count only the
 * consumer with this client id, when several share the process.
 */
export async function startConsumerMetrics(
  port: number,
  opts: { host?: string; clientId?: string } = {},
): Promise<ConsumerMetricsHandle> {
  const { Registry } = await import('prom-client');
  const { instrumentConsumer, startMetricsServer } = await import('./metrics.js');
  const registry = new Registry();
  const stop = instrumentConsumer(registry, { clientId: opts.clientId });
  try {
    const server = await startMetricsServer({ port, host: opts.host, registry });
    return {
      url: server.url,
      close: async () => {
        stop();
        await server.close();
      },
    };
  } catch (err) {
    stop();
    throw err;
  }
}
