// Python peers for the interop tests (test/interop/): a virtualenv under .cache/python/venv with
// kafka-python and confluent-kafka (librdkafka; its manylinux wheel bundles librdkafka, so nothing is
// compiled) at pinned versions. `npm test` builds it in its set-up phase, before any test starts, when a
// selected test file asks for the peers (calls `pythonPeers(`); it is re-used while its stamp matches the
// pins. Plain JS, like setup.mjs: it runs before `npm install`.
//   node tools/setup-python.mjs      builds (or checks) the venv and prints the python path
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { log, root, SetupError } from './setup.mjs';

/** Pinned peer versions. Changing one rebuilds the venv on the next run. */
export const PYTHON_PEERS = { 'kafka-python': '3.0.12', 'confluent-kafka': '2.16.1' };

export const venvDir = path.join(root, '.cache', 'python', 'venv');
export const venvPython = path.join(venvDir, 'bin', 'python');
const stampFile = path.join(venvDir, 'sluice-peers.json');
/** What a test file contains when it needs the peers; test.mjs looks for it, like for `sharedKafka(`. */
export const PYTHON_MARKER = 'pythonPeers(';

const wanted = () => JSON.stringify(PYTHON_PEERS);

/** True when any of these test files (paths relative to the repo root) needs the Python peers. */
export function wantsPythonPeers(files) {
  return files.some((f) => readFileSync(path.join(root, f), 'utf8').includes(PYTHON_MARKER));
}

function run(cmd, args, opts = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', ...opts });
}

/** The venv is usable: its stamp matches the pins and its python imports both clients. */
function venvReady() {
  if (!existsSync(venvPython) || !existsSync(stampFile)) return false;
  try {
    if (JSON.parse(readFileSync(stampFile, 'utf8')).peers !== wanted()) return false;
  } catch {
    return false;
  }
  // The base interpreter may have moved (a pyenv or distro upgrade): then the venv is dead.
  return run(venvPython, ['-c', 'import kafka, confluent_kafka']).status === 0;
}

function findPython() {
  for (const cmd of ['python3', 'python']) {
    const res = run(cmd, ['-c', 'import sys; print(sys.version_info[0], sys.version_info[1])']);
    if (res.status !== 0) continue;
    const [major, minor] = res.stdout.trim().split(' ').map(Number);
    if (major === 3 && minor >= 9) return cmd;
  }
  return undefined;
}

const explain = (what) =>
  new SetupError(
    `The interop tests run kafka-python and confluent-kafka next to Sluice, in a virtualenv under ` +
      `.cache/python, which needs ${what}. Install it (Debian/Ubuntu: apt-get install -y python3 python3-venv ` +
      `python3-pip), then run the command again, or leave out the tests under test/interop/python*.`,
  );

/**
 * Makes sure the venv exists with the pinned peers, building it if needed; returns the path of its python.
 * Built in a temp dir and renamed into place last, so an interrupted run never leaves a half venv that
 * looks ready.
 */
export function ensurePythonPeers() {
  if (venvReady()) return venvPython;
  if (process.env.SLUICE_NO_INSTALL === '1')
    throw new SetupError(`the Python peers are not installed in ${venvDir}; run \`node tools/setup-python.mjs\`.`);
  const python = findPython();
  if (!python) throw explain('Python 3.9 or newer (no `python3` on PATH)');
  const t0 = Date.now();
  const pins = Object.entries(PYTHON_PEERS).map(([name, version]) => `${name}==${version}`);
  log(`setting up the Python peers (${pins.join(', ')}) in .cache/python/venv…`);
  const tmp = `${venvDir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    const venv = run(python, ['-m', 'venv', tmp]);
    if (venv.status !== 0) throw explain(`the venv module with ensurepip (${python} -m venv failed: ${tail(venv)})`);
    const tmpPython = path.join(tmp, 'bin', 'python');
    const pipArgs = ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--quiet'];
    // Wheels only: confluent-kafka from source would need a C compiler and librdkafka's headers.
    const install = run(tmpPython, [...pipArgs, '--only-binary', ':all:', ...pins], { stdio: 'inherit' });
    if (install.status !== 0)
      throw new SetupError(`pip could not install ${pins.join(' ')} (exit ${install.status}); see the output above.`);
    const check = run(tmpPython, ['-c', 'import kafka, confluent_kafka']);
    if (check.status !== 0) throw new SetupError(`the Python peers were installed but do not import: ${tail(check)}`);
    writeFileSync(path.join(tmp, 'sluice-peers.json'), `${JSON.stringify({ peers: wanted(), python })}\n`);
    rmSync(venvDir, { recursive: true, force: true });
    renameSync(tmp, venvDir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  if (!venvReady()) throw new SetupError(`the Python peers in ${venvDir} do not work after installing them`);
  log(`Python peers ready (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return venvPython;
}

function tail(res) {
  return `${res.error?.message ?? ''}${res.stderr ?? ''}${res.stdout ?? ''}`.trim().split('\n').slice(-5).join(' | ');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    console.log(ensurePythonPeers());
  } catch (err) {
    if (err?.name !== 'SetupError') throw err;
    console.error(`error: ${err.message}`);
    process.exit(1);
  }
}
