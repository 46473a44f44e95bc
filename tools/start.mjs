// `npm start`: set up everything a fresh machine needs, then run a local Kafka broker on 127.0.0.1:9092
// to point Sluice (or any Kafka client) at. The demo will replace this once it exists.
import { importTs, log, runMain, setup } from './setup.mjs';

runMain(async () => {
  setup();
  const cli = await importTs('test/kafka/cli.ts');
  log('Sluice has no demo yet; starting a local Apache Kafka for development.');
  log('Connect any Kafka client with bootstrap 127.0.0.1:9092 (the `npm test` suite starts its own broker).');
  return cli.main(process.argv.slice(2));
});
