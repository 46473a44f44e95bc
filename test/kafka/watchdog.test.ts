import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitFor } from './index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

/** Running, i.e. existing and not a zombie (a dead child waiting for its reaper is not a leak). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

test('SIGKILL of the process that started a broker leaves no JVM and no temp dir', async () => {
  // Own process group, so the SIGKILL below can hit the whole group, as a CI timeout or Ctrl-C would.
  const owner = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures', 'owner.ts')], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const first = await waitFor(
      () =>
        new Promise<string>((resolve, reject) => {
          createInterface({ input: owner.stdout! }).once('line', resolve);
          owner.once('exit', (code) => reject(new Error(`owner exited with ${code}`)));
        }),
      { timeoutMs: 120_000, what: 'the owner to start its broker' },
    );
    const { jvmPid, dataDir } = JSON.parse(first) as { jvmPid: number; dataDir: string };
    assert.ok(alive(jvmPid), 'the JVM runs');
    assert.match(readFileSync(`/proc/${jvmPid}/cmdline`, 'utf8'), /kafka\.Kafka/);
    assert.ok(existsSync(dataDir), 'the temp dir exists');

    process.kill(-owner.pid!, 'SIGKILL');

    await waitFor(() => !alive(jvmPid), { timeoutMs: 20_000, what: `JVM ${jvmPid} to die` });
    await waitFor(() => !existsSync(dataDir), { timeoutMs: 20_000, what: `${dataDir} to be removed` });
  } finally {
    if (owner.exitCode === null && owner.signalCode === null) process.kill(-owner.pid!, 'SIGKILL');
  }
});
