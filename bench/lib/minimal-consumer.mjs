// A minimal consumer, for `npm run bench:startup`: imports a build of Sluice, assigns partition 0 of a
// topic, consumes `records` records from the beginning, and prints one JSON line: how long the import
// took, the resident set size after it and after consuming, and the whole run's time. Plain JS run by
// plain node, so that nothing but the measured build is loaded.
//   node bench/lib/minimal-consumer.mjs <entry.js> <bootstrap> <topic> <records>
const [entry, bootstrap, topic, count] = process.argv.slice(2);
const records = Number(count);

const t0 = performance.now();
const { Consumer } = await import(entry);
const importMs = performance.now() - t0;
const rssImport = process.memoryUsage().rss;

const consumer = new Consumer({ brokers: [bootstrap], autoOffsetReset: 'earliest' });
consumer.assign([{ topic, partition: 0 }]);
let seen = 0;
// A hang (a broker gone, too few records) ends the run instead of the benchmark.
const timer = setTimeout(() => void consumer.close(), 60_000);
await consumer.run({
  eachMessage: () => {
    if (++seen === records) setImmediate(() => void consumer.close());
  },
});
clearTimeout(timer);
const totalMs = performance.now() - t0;
console.log(JSON.stringify({ importMs, rssImport, rss: process.memoryUsage().rss, totalMs, seen }));
