// @platformatic/kafka consumer (its stream API), group consumption from earliest. Loaded from
// PLATFORMATIC_KAFKA (a path) when set, so the bench can run 2.x under Node 24 from its own folder.
import { consumeArgs, Tally } from './consume-args.js';

const { bootstrap, topic, count, group } = consumeArgs();
const mod = (await import(
  process.env.PLATFORMATIC_KAFKA ?? '@platformatic/kafka'
)) as typeof import('@platformatic/kafka');
const consumer = new mod.Consumer({ groupId: group, clientId: 'bench', bootstrapBrokers: bootstrap.split(',') });
const tally = new Tally();
consumer.on('consumer:group:join', () => tally.ready());
const stream = await consumer.consume({
  topics: [topic],
  mode: 'earliest',
  autocommit: false,
  // 50 MiB per fetch with 1 MiB per partition, as every other client here (Java's fetch.max.bytes
  // and max.partition.fetch.bytes defaults). Without maxBytesPerPartition platformatic uses maxBytes
  // for each partition too (`options.maxBytesPerPartition ??= ... ?? options.maxBytes` in its
  // dist/clients/consumer/consumer.js, 1.35 and 2.x), and decoding a 50 MiB fetch buffer is slow.
  maxBytes: 52428800,
  maxBytesPerPartition: 1048576,
} as never);
await new Promise<void>((resolve, reject) => {
  stream.on('data', (message: { value: Buffer }) => {
    if (tally.add(message.value, count)) resolve();
  });
  stream.on('error', reject);
});
await stream.close();
await consumer.close(true);
tally.print({ client: 'platformatic', version: (mod as { version?: string }).version, node: process.version });
