// Sluice consumer: group consumption from earliest, in one of four delivery modes.
import { Consumer } from '../../src/index.js';
import { consumeArgs, Tally } from './consume-args.js';

const { bootstrap, topic, count, group, mode } = consumeArgs();
const consumer = new Consumer({ brokers: bootstrap, groupId: group, autoOffsetReset: 'earliest', autoCommit: false });
const tally = new Tally();
consumer.subscribe(topic, { onPartitionsAssigned: () => tally.ready() });
const done = () => setImmediate(() => consumer.close());

if (mode === 'iterator') {
  for await (const record of consumer) {
    if (tally.add(record.value, count)) break;
  }
  await consumer.close();
} else if (mode === 'eachBatch') {
  await consumer.run({
    eachBatch: (batch) => {
      let finished = false;
      for (const r of batch.records) finished = tally.add(r.value, count);
      if (finished) done();
    },
  });
} else if (mode === 'eachMessageAsync') {
  // An async handler, as most application code (and every KafkaJS-style handler) is: one await per record.
  await consumer.run({
    eachMessage: async (record) => {
      if (tally.add(record.value, count)) done();
    },
  });
} else if (mode === 'slow') {
  // A slow handler (bench/scale.ts): awaits 1 ms every 100 records, so a backlog piles up behind it
  // and peak RSS shows what the consumer holds while it waits.
  await consumer.run({
    eachMessage: async (record) => {
      if (tally.add(record.value, count)) done();
      else if (tally.records % 100 === 0) await new Promise((r) => setTimeout(r, 1));
    },
  });
} else {
  await consumer.run({
    eachMessage: (record) => {
      if (tally.add(record.value, count)) done();
    },
  });
}
tally.print({ client: `sluice-${mode || 'eachMessage'}`, node: process.version });
