// `npm run kafka [-- --port N] [-- --nodes 3] [-- --listeners SASL_PLAINTEXT,SSL,SASL_SSL]`: a local
// Apache Kafka in the foreground (default 127.0.0.1:9092) for development and demos. Ctrl-C stops it and
// removes its data. See test/kafka/cli.ts.
import { importTs, runMain, setup } from './setup.mjs';

runMain(async () => {
  setup();
  const cli = await importTs('test/kafka/cli.ts');
  return cli.main(process.argv.slice(2));
});
