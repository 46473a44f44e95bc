// The built package (dist/, bundled by tools/build.mjs): the library entry exports what src/index.ts
// does, the `sluice` bin runs the bundled CLI (its lazily loaded chunks included) against the real
// broker, and the declarations are there.
// sluice-test-needs: dist
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { runBinary } from '../cli/run-cli.js';
import { testEnv } from '../helpers/env.js';
import { uniqueName } from '../kafka/index.js';

const root = path.resolve(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  version: string;
  main: string;
  types: string;
  bin: { sluice: string };
  exports: Record<string, { types: string; default: string }>;
};
const env = testEnv();
const sluice = (args: string[], input?: string) =>
  runBinary(process.execPath, [path.join(root, pkg.bin.sluice), ...args], input === undefined ? {} : { input });

test('dist/index.js and dist/kafkajs.js export exactly what their sources do; the declarations are built', async () => {
  const built = await import(path.join(root, pkg.main));
  const source = await import('../../src/index.js');
  assert.deepEqual(Object.keys(built).sort(), Object.keys(source).sort());
  assert.equal(typeof built.Consumer, 'function');
  assert.ok(existsSync(path.join(root, pkg.types)), pkg.types);

  const kafkajs = pkg.exports['./kafkajs'];
  assert.ok(kafkajs, 'package.json exports has no ./kafkajs');
  const facade = await import(path.join(root, kafkajs.default));
  const facadeSource = await import('../../src/kafkajs/index.js');
  assert.deepEqual(Object.keys(facade).sort(), Object.keys(facadeSource).sort());
  assert.ok(existsSync(path.join(root, kafkajs.types)), kafkajs.types);
});

test('the sluice bin runs the bundled CLI: --version, and produce → consume through the broker', async () => {
  const v = await sluice(['--version']);
  assert.equal(v.code, 0, v.stderr);
  assert.equal(v.stdout.toString().trim(), pkg.version);

  const topic = uniqueName('dist');
  const b = ['-b', env.kafka.bootstrap];
  const created = await sluice(['topics', 'create', ...b, topic, '--partitions', '2']);
  assert.equal(created.code, 0, created.stderr);
  const produced = await sluice(['produce', ...b, '-t', topic, '-p', '1', '-K', ':'], 'a:1\nb:2\n');
  assert.equal(produced.code, 0, produced.stderr);
  const consumed = await sluice(['consume', ...b, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p %k=%s\\n']);
  assert.equal(consumed.code, 0, consumed.stderr);
  assert.equal(consumed.stdout.toString(), '1 a=1\n1 b=2\n');
});
