// `npm start`: set up everything a fresh machine needs (tools/setup.mjs), then run the demo
// (tools/demo/main.ts): a local broker, sample orders sunk into ./sluice-demo.db, lag and SQL.
// `npm run kafka` runs just a broker for development.
import { importTs, runMain, setup } from './setup.mjs';

runMain(async () => {
  setup();
  const demo = await importTs('tools/demo/main.ts');
  return demo.main(process.argv.slice(2));
});
