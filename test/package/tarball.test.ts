// The package as a user installs it: `npm pack` of the checkout, installed with its runtime
// dependencies only into an empty folder (the `tarball` need, test/package/tarball.ts, does both in the
// set-up). Small apps written there — ESM, CommonJS (require(esm)) and TypeScript (typechecked with
// skipLibCheck off) — produce and consume through the real broker; the `sluice` bin runs; stack traces
// map back to src/*.ts through the shipped source maps.
// sluice-test-needs: tarball node24
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { findNode24 } from '../../bench/lib/peers.js';
import { sharedKafka, uniqueName } from '../kafka/index.js';
import { appDir, installTarball, root } from './tarball.js';

const execFileP = promisify(execFile);
const installed = path.join(appDir, 'node_modules', 'sluice');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');

/** Runs a command in the app folder, as a user would there: no SLUICE_* variables, bounded in time. */
async function inApp(cmd: string, args: string[], timeoutMs = 120_000) {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SLUICE_')) env[k] = v;
  try {
    const r = await execFileP(cmd, args, { cwd: appDir, env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; signal?: string; message: string };
    return {
      code: e.code ?? -1,
      stdout: e.stdout ?? '',
      stderr: `${e.stderr ?? ''}${e.signal ? ` (${e.signal})` : ''}`,
    };
  }
}

/**
 * The body every app runs: creates a topic, produces three records, consumes them back from
 * partition 0, and prints what it saw as one JSON line. `load` is how the app gets Sluice's names.
 */
function appBody(head: string, typed: boolean): string {
  const t = (s: string) => (typed ? s : '');
  return `${head}
const [bootstrap, topic, tag] = process.argv.slice(2)${t(' as [string, string, string]')};

async function main()${t(': Promise<void>')} {
  const admin = new Admin({ brokers: [bootstrap] });
  await admin.createTopics([{ topic, numPartitions: 1 }]);
  admin.close();

  const producer = new Producer({ brokers: [bootstrap] });
  const sent${t(': RecordMetadata[]')} = await producer.send({
    topic,
    messages: [1, 2, 3].map((i) => ({ key: \`\${tag}-\${i}\`, value: \`value \${i}\` })),
  });
  await producer.close();

  const consumer = new Consumer({ brokers: [bootstrap], autoOffsetReset: 'earliest' });
  consumer.assign([{ topic, partition: 0 }]);
  const seen${t(': Array<{ key: string; value: string; offset: number }>')} = [];
  const timer = setTimeout(() => void consumer.close(), 60_000);
  await consumer.run({
    eachMessage: (r${t(': ConsumerRecord')}) => {
      seen.push({ key: String(r.key), value: String(r.value), offset: Number(r.offset) });
      if (seen.length === 3) setImmediate(() => void consumer.close());
    },
  });
  clearTimeout(timer);

  // sluice/kafkajs: KafkaJS's API, two more records through its producer, all five read by its consumer.
  const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const kjsProducer = kafka.producer();
  await kjsProducer.connect();
  await kjsProducer.send({ topic, messages: [{ key: 'kjs-4', value: 'value 4' }, { key: 'kjs-5', value: 'value 5' }] });
  await kjsProducer.disconnect();
  const kjsConsumer = kafka.consumer({ groupId: \`\${topic}-group\` });
  await kjsConsumer.connect();
  await kjsConsumer.subscribe({ topics: [topic], fromBeginning: true });
  const kjsSeen${t(': string[]')} = [];
  await new Promise${t('<void>')}((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('sluice/kafkajs consumer: timed out')), 60_000);
    kjsConsumer
      .run({
        eachMessage: async ({ message }${t(': EachMessagePayload')}) => {
          kjsSeen.push(\`\${message.offset}:\${String(message.value)}\`);
          if (kjsSeen.length === 5) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await kjsConsumer.disconnect();
  const kafkajs = new KafkaJSError('x') instanceof Error;
  const sluiceError = new ConfigError('brokers', 'x') instanceof SluiceError;
  console.log(JSON.stringify({ sent: sent.length, seen, kjsSeen, kafkajs, sluiceError }));
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
`;
}

const NAMES = 'Admin, ConfigError, Consumer, Producer, SluiceError';
const KAFKAJS = 'Kafka, KafkaJSError, logLevel';
const APPS = {
  'esm-app.mjs': appBody(`import { ${NAMES} } from 'sluice';\nimport { ${KAFKAJS} } from 'sluice/kafkajs';`, false),
  'cjs-app.cjs': appBody(
    `'use strict';\nconst { ${NAMES} } = require('sluice');\nconst { ${KAFKAJS} } = require('sluice/kafkajs');`,
    false,
  ),
  'ts-app.mts': appBody(
    `import { ${NAMES}, type ConsumerRecord, type RecordMetadata } from 'sluice';\n` +
      `import { ${KAFKAJS}, type EachMessagePayload, type KafkaConfig } from 'sluice/kafkajs';\n` +
      "export const config: KafkaConfig = { brokers: ['localhost:9092'] };",
    true,
  ),
  // CommonJS TypeScript: `import` compiles to require(), which module NodeNext allows for an ES module.
  'ts-cjs-app.cts': appBody(
    `import { ${NAMES}, type ConsumerRecord, type RecordMetadata } from 'sluice';\n` +
      `import { ${KAFKAJS}, type EachMessagePayload } from 'sluice/kafkajs';`,
    true,
  ),
};

/** A tsconfig as strict as a careful user's: strict, skipLibCheck off, only Node's types besides ours. */
function tsconfig(name: string, compilerOptions: Record<string, unknown>, files: string[]): string {
  const file = path.join(appDir, name);
  writeFileSync(
    file,
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        strict: true,
        skipLibCheck: false,
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
        // @types/node from the repository: the app folder holds the runtime dependencies only.
        typeRoots: [path.join(root, 'node_modules', '@types')],
        types: ['node'],
        ...compilerOptions,
      },
      files,
    }),
  );
  return file;
}

function checkOutput(stdout: string, tag: string) {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  const out = JSON.parse(line) as {
    sent: number;
    seen: unknown[];
    kjsSeen: string[];
    kafkajs: boolean;
    sluiceError: boolean;
  };
  assert.deepEqual(out, {
    sent: 3,
    seen: [1, 2, 3].map((i) => ({ key: `${tag}-${i}`, value: `value ${i}`, offset: i - 1 })),
    kjsSeen: [1, 2, 3, 4, 5].map((i) => `${i - 1}:value ${i}`),
    kafkajs: true,
    sluiceError: true,
  });
}

let bootstrap = '';
test.before(async () => {
  bootstrap = (await sharedKafka()).bootstrap;
  for (const [name, body] of Object.entries(APPS)) writeFileSync(path.join(appDir, name), body);
});

test('the tarball holds the built package and nothing else; the folder holds only runtime dependencies', () => {
  assert.ok(existsSync(installed), `${installed}: the set-up's \`tarball\` need did not install the package`);
  const pkg = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8'));
  const top = readdirSync(installed).sort();
  assert.deepEqual(top, ['LICENSE', 'README.md', 'bin', 'dist', 'package.json']);
  assert.match(readFileSync(path.join(installed, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0, January 2004/);
  assert.equal(pkg.license, 'Apache-2.0');
  // Every export's files are there: code, declarations, and a source map beside each .js.
  for (const [sub, target] of Object.entries(pkg.exports as Record<string, string | Record<string, string>>)) {
    for (const file of typeof target === 'string' ? [target] : Object.values(target)) {
      assert.ok(existsSync(path.join(installed, file)), `exports["${sub}"] → ${file} is missing`);
      if (file.endsWith('.js')) assert.ok(existsSync(path.join(installed, `${file}.map`)), `${file}.map`);
    }
  }
  // Only sluice's runtime dependencies were installed: none of the repository's dev dependencies.
  const modules = readdirSync(path.join(appDir, 'node_modules'));
  for (const dev of ['kafkajs', 'typescript', 'esbuild', 'tsx', '@types', 'pg', 'better-sqlite3', '@biomejs'])
    assert.ok(!modules.includes(dev), `${dev} was installed beside sluice`);
  for (const dep of Object.keys(pkg.dependencies)) assert.ok(existsSync(path.join(appDir, 'node_modules', dep)), dep);
});

test('no shipped declaration imports a module the user may not have (optional peers, dev dependencies)', () => {
  const pkg = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8'));
  const allowed = new Set(Object.keys(pkg.dependencies));
  const bad: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.d.ts')) {
        const text = readFileSync(p, 'utf8');
        for (const m of text.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"]([^'"]+)['"]/g)) {
          const spec = m[1]!;
          const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
          if (!spec.startsWith('.') && !spec.startsWith('node:') && !allowed.has(name))
            bad.push(`${path.relative(installed, p)} imports '${spec}'`);
        }
      }
    }
  };
  walk(path.join(installed, 'dist'));
  assert.deepEqual(bad, []);
});

test('an ES module app produces and consumes through the broker', async () => {
  const topic = uniqueName('tarball-esm');
  const r = await inApp(process.execPath, ['esm-app.mjs', bootstrap, topic, 'esm']);
  assert.equal(r.code, 0, r.stderr);
  checkOutput(r.stdout, 'esm');
});

test(`a CommonJS app require()s sluice (require(esm), Node ${process.version}) and produces and consumes`, async () => {
  const topic = uniqueName('tarball-cjs');
  const r = await inApp(process.execPath, ['cjs-app.cjs', bootstrap, topic, 'cjs']);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /ERR_REQUIRE|ExperimentalWarning/);
  checkOutput(r.stdout, 'cjs');
});

test('on Node 24 too: the CommonJS and ES module apps', async (t) => {
  const node24 = findNode24();
  if (!node24) {
    if (process.env.CI) assert.fail('Node 24 is missing (the set-up provides it for `// sluice-test-needs: node24`)');
    return t.skip('Node 24 is not installed (.cache/node24)');
  }
  for (const [app, tag] of [
    ['cjs-app.cjs', 'cjs24'],
    ['esm-app.mjs', 'esm24'],
  ] as const) {
    const r = await inApp(node24.bin, [app, bootstrap, uniqueName(`tarball-${tag}`), tag]);
    assert.equal(r.code, 0, `Node ${node24.version} ${app}: ${r.stderr}`);
    checkOutput(r.stdout, tag);
  }
});

test('TypeScript apps typecheck (strict, skipLibCheck off; NodeNext ESM and CJS, bundler) and run', async () => {
  const nodenext = tsconfig(
    'tsconfig.nodenext.json',
    { module: 'NodeNext', moduleResolution: 'NodeNext', outDir: 'build' },
    ['ts-app.mts', 'ts-cjs-app.cts'],
  );
  const built = await inApp(process.execPath, [tsc, '-p', nodenext]);
  assert.equal(built.code, 0, `tsc (NodeNext): ${built.stdout}${built.stderr}`);
  const bundler = tsconfig('tsconfig.bundler.json', { module: 'ESNext', moduleResolution: 'bundler', noEmit: true }, [
    'ts-app.mts',
  ]);
  const checked = await inApp(process.execPath, [tsc, '-p', bundler]);
  assert.equal(checked.code, 0, `tsc (bundler): ${checked.stdout}${checked.stderr}`);

  for (const [app, tag] of [
    ['build/ts-app.mjs', 'ts'],
    ['build/ts-cjs-app.cjs', 'tscjs'],
  ] as const) {
    const r = await inApp(process.execPath, [app, bootstrap, uniqueName(`tarball-${tag}`), tag]);
    assert.equal(r.code, 0, `${app}: ${r.stderr}`);
    checkOutput(r.stdout, tag);
  }
});

test("the declarations are real types: a wrong option is a type error naming sluice's option", async () => {
  writeFileSync(
    path.join(appDir, 'ts-wrong.mts'),
    "import { Producer } from 'sluice';\nnew Producer({ brokers: 9092 });\n",
  );
  const config = tsconfig('tsconfig.wrong.json', { module: 'NodeNext', moduleResolution: 'NodeNext', noEmit: true }, [
    'ts-wrong.mts',
  ]);
  const r = await inApp(process.execPath, [tsc, '-p', config]);
  assert.notEqual(r.code, 0);
  assert.match(r.stdout, /ts-wrong\.mts\(2,.*error TS2322:.*number.*string/);
});

test('npx sluice --version runs the installed bin', async () => {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  const r = await inApp('npx', ['--no', '--', 'sluice', '--version']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), pkg.version);
});

test('the installed bin serves the dashboard: the page, its script and uPlot from the package itself, no CDN', async () => {
  const { bootstrap } = await sharedKafka();
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SLUICE_')) env[k] = v;
  const child = spawn(
    process.execPath,
    [path.join(installed, 'bin', 'sluice.mjs'), 'dashboard', '-b', bootstrap, '--port', '0'],
    { cwd: appDir, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /Dashboard: (\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('close', (code) => reject(new Error(`exited ${code} before serving: ${stderr}`)));
    });
    const page = await fetch(url);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.doesNotMatch(html, /<(script|link)[^>]+(src|href)="https?:/);
    const script = await fetch(new URL('app.js', url));
    assert.equal(script.status, 200);
    assert.match(await script.text(), /EventSource/);
    // uPlot, the charts' library, comes inlined in the package's bundle (`uplot` is a devDependency,
    // not installed here).
    assert.match(html, /<script src="uplot\.js"><\/script>/);
    const uplot = await fetch(new URL('uplot.js', url));
    assert.equal(uplot.status, 200);
    assert.match(await uplot.text(), /uPlot/);
    const css = await fetch(new URL('uplot.css', url));
    assert.equal(css.status, 200);
    assert.match(await css.text(), /\.uplot/);
  } finally {
    child.kill('SIGINT');
    assert.equal(await exited, 0, stderr);
    clearTimeout(killer);
  }
});

test("stack traces from the installed package point at src/*.ts lines (the maps' sources)", async () => {
  const r = await inApp(process.execPath, [
    '--enable-source-maps',
    '--input-type=module',
    '-e',
    "import { Consumer } from 'sluice'; try { new Consumer({ brokers: [] }); } catch (e) { console.log(e.stack); }",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const frame = /node_modules\/sluice\/(src\/[\w/.-]+\.ts):(\d+):\d+/.exec(r.stdout);
  assert.ok(frame, `no src/*.ts frame in:\n${r.stdout}`);
  // The mapped line is the one in our source that throws the error.
  const line = readFileSync(path.join(root, frame[1]!), 'utf8').split('\n')[Number(frame[2]) - 1];
  assert.match(line ?? '', /throw new ConfigError\('brokers'/, `${frame[0]} → ${line}`);
});

test('packing and installing are refused while installs are forbidden (SLUICE_NO_INSTALL=1)', () => {
  const before = process.env.SLUICE_NO_INSTALL;
  process.env.SLUICE_NO_INSTALL = '1';
  try {
    assert.throws(() => installTarball(), /forbidden while tests run \(SLUICE_NO_INSTALL=1\)/);
    assert.ok(existsSync(installed), 'the refused install removed the installed package');
  } finally {
    if (before === undefined) delete process.env.SLUICE_NO_INSTALL;
    else process.env.SLUICE_NO_INSTALL = before;
  }
});
