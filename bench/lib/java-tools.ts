// Kafka's own Java perf tools (kafka-tools on Maven Central), run as children under GNU time.
import { javaBin, resolveKafkaTools } from '../../test/kafka/index.js';
import { type ClientResult, type Measured, measure } from './child.js';

async function toolCommand(mainClass: string, args: string[], version?: string): Promise<[string, string[]]> {
  const jars = await resolveKafkaTools(version);
  return [javaBin(), ['-Xmx1g', ...jars.logFlags, '-cp', jars.classpath, mainClass, ...args]];
}

/** Writes `records` random `size`-byte values with ProducerPerformance (the data every consume run reads). */
export async function javaProduce(o: {
  bootstrap: string;
  topic: string;
  records: number;
  size: number;
  compression: string;
  version?: string;
  extraProps?: Record<string, string | number>;
}): Promise<Measured> {
  const props = {
    'bootstrap.servers': o.bootstrap,
    acks: 'all',
    'compression.type': o.compression,
    'linger.ms': 5,
    'batch.size': 65536,
    ...o.extraProps,
  };
  const [cmd, args] = await toolCommand(
    'org.apache.kafka.tools.ProducerPerformance',
    [
      '--topic',
      o.topic,
      '--num-records',
      String(o.records),
      '--record-size',
      String(o.size),
      '--throughput',
      '-1',
      '--producer-props',
      ...Object.entries(props).map(([k, v]) => `${k}=${v}`),
    ],
    o.version,
  );
  return measure(cmd, args, { parse: parseProducerPerformance(o.records, o.size) });
}

/** ConsumerPerformance: group consumption from earliest; time = its fetch time (join excluded). */
export async function javaConsume(o: {
  bootstrap: string;
  topic: string;
  records: number;
  group: string;
  version?: string;
}): Promise<Measured> {
  const [cmd, args] = await toolCommand(
    'org.apache.kafka.tools.ConsumerPerformance',
    [
      '--bootstrap-server',
      o.bootstrap,
      '--topic',
      o.topic,
      '--messages',
      String(o.records),
      '--group',
      o.group,
      '--timeout',
      '60000',
      // Below 5M records the JVM spends much of the run warming its JIT; a 10 MiB fetch per partition
      // (--fetch-size sets max.partition.fetch.bytes; default 1 MiB) spreads that over fewer, larger
      // fetches, so Java's row is not its warm-up (issue 19's method).
      ...(o.records < 5_000_000 ? ['--fetch-size', String(10 * 1024 * 1024)] : []),
    ],
    o.version,
  );
  return measure(cmd, args, { parse: parseConsumerPerformance });
}

// "1000000 records sent, 545851.528384 records/sec (52.06 MB/sec), 305.93 ms avg latency, ..."
function parseProducerPerformance(records: number, size: number) {
  return (stdout: string): ClientResult => {
    const line = stdout
      .trim()
      .split('\n')
      .reverse()
      .find((l) => /records sent,.*records\/sec/.test(l));
    const m = line && /^(\d+) records sent, ([\d.]+) records\/sec/.exec(line);
    if (!m) throw new Error(`unexpected ProducerPerformance output:\n${stdout.slice(-1500)}`);
    const sent = Number(m[1]);
    return { records: sent, bytes: sent * size, ms: (sent / Number(m[2])) * 1000, client: 'java', requested: records };
  };
}

// start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, ...
function parseConsumerPerformance(stdout: string): ClientResult {
  const lines = stdout.trim().split('\n');
  const header = lines.findIndex((l) => l.includes('data.consumed.in.nMsg'));
  const cols = header >= 0 ? lines[header]!.split(',').map((s) => s.trim()) : [];
  const vals = header >= 0 ? (lines[header + 1] ?? '').split(',').map((s) => s.trim()) : [];
  const get = (name: string) => Number(vals[cols.indexOf(name)]);
  const records = get('data.consumed.in.nMsg');
  if (!Number.isFinite(records)) throw new Error(`unexpected ConsumerPerformance output:\n${stdout.slice(-1500)}`);
  return { records, bytes: get('data.consumed.in.MB') * 1024 * 1024, ms: get('fetch.time.ms'), client: 'java' };
}
