// Bad set-up must end in one clear message and a non-zero exit, never a stack trace. These run the CLI
// entry point the way a user does (`npm run kafka` runs `node tools/kafka.mjs`).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function kafkaCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'tools', 'kafka.mjs'), ...args], {
      cwd: root,
      env: { ...env, SLUICE_NO_INSTALL: '1' }, // never npm ci / apt-get from inside the suite
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tools/kafka.mjs did not exit within ${timeoutMs} ms\n${stdout}${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function assertCleanFailure(r: CliResult, message: RegExp): void {
  assert.notEqual(r.code, 0, 'non-zero exit');
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  assert.doesNotMatch(r.stdout, /is running/, 'no broker was started');
}

test('Java missing: a clear message and a non-zero exit', async () => {
  // A PATH holding only `node`: no java, mvn, openssl or apt-get (so no install attempt), and no JAVA_HOME.
  const bin = mkdtempSync(path.join(tmpdir(), 'sluice-nojava-'));
  try {
    symlinkSync(process.execPath, path.join(bin, 'node'));
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: bin };
    delete env.JAVA_HOME;
    const r = await kafkaCli(['--port', '0'], env);
    assertCleanFailure(r, /needs Java 17 or newer/);
    assert.match(r.stderr, /Missing: Java 17\+ \(no `java` on PATH and no JAVA_HOME\)/);
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
});

test('Maven cannot resolve the Kafka version: a clear message naming the version', async () => {
  // With installs forbidden (as in every test) Maven runs offline: no download is even attempted, and
  // the message says why and how the jars get there.
  const r = await kafkaCli(['--port', '0'], { ...process.env, SLUICE_KAFKA_VERSION: '0.0.0-nope' });
  assertCleanFailure(r, /Could not resolve Apache Kafka 0\.0\.0-nope .*from the local Maven repository/);
  assert.match(r.stderr, /SLUICE_NO_INSTALL=1 forbids downloads while tests run/);
  assert.match(r.stderr, /sluice-test-needs: kafka@0\.0\.0-nope/);
  assert.equal(existsSync(path.join(root, '.cache', 'kafka', '0.0.0-nope')), false, 'no half-made cache entry');
});

test('Port taken: a clear message naming the port', async () => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  try {
    const r = await kafkaCli(['--port', String(port)], process.env);
    assertCleanFailure(r, new RegExp(`Port ${port} on 127\\.0\\.0\\.1 is already in use`));
  } finally {
    server.close();
  }
});
