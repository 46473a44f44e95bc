// The two substitutions the examples test makes, on every fixture: exactly the import and the broker
// address change, and a fixture without either is refused.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BROKER_LISTS, MODULES, substitute } from './example-runner.js';

const dir = fileURLToPath(new URL('./examples/', import.meta.url));
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.cjs'));
const bootstrap = '127.0.0.1:40001,127.0.0.1:40002';

test('there are fixtures for every documented example the issue names', () => {
  assert.deepEqual(fixtures.sort(), [
    'admin.cjs',
    'consumer-example.cjs',
    'each-batch-example.cjs',
    'each-batch.cjs',
    'getting-started.cjs',
    'producer-example.cjs',
    'producing.cjs',
    'transactions.cjs',
  ]);
});

for (const fixture of fixtures) {
  test(`${fixture}: only the import and the broker address change`, () => {
    const source = readFileSync(dir + fixture, 'utf8');
    const { text, imports, brokers } = substitute(source, MODULES.kafkajs.path, bootstrap);
    assert.ok(imports >= 1 && brokers === 1, `${imports} imports, ${brokers} broker lists`);
    assert.ok(text.includes(`require(${JSON.stringify(MODULES.kafkajs.path)})`));
    assert.ok(text.includes('["127.0.0.1:40001","127.0.0.1:40002"]'));
    // Undo both substitutions: what is left is the fixture, character for character.
    let back = text
      .replaceAll(`require(${JSON.stringify(MODULES.kafkajs.path)})`, "require('kafkajs')")
      .replaceAll("({ address: () => '127.0.0.1' })", "require('ip')");
    const list = BROKER_LISTS.find((l) => source.includes(l))!;
    back = back.replace('["127.0.0.1:40001","127.0.0.1:40002"]', list);
    assert.equal(back, source);
  });
}

test('a script without the import or the broker address is refused', () => {
  assert.throws(() =>
    substitute("const k = require('other')\nconst b = ['kafka1:9092', 'kafka2:9092']", 'x', bootstrap),
  );
  assert.throws(() => substitute("const { Kafka } = require('kafkajs')\nconst b = ['localhost:9092']", 'x', bootstrap));
});
