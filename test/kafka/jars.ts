// Apache Kafka's jars, resolved from Maven Central with Maven and cached in .cache/kafka/<version>/.
//
// We depend on `kafka_2.13` (the broker: kafka.Kafka, kafka.tools.StorageTool) plus the logging jars its
// POM leaves out (Gradle keeps them in compileOnly/releaseOnly; see docs/testing.md): log4j2 and the
// slf4j 1.7 binding for 4.x, reload4j for 3.x. The optional "tools" set (`kafka-tools`) holds the Java
// CLIs later tests use for interop (ConsoleConsumer, ProducerPerformance, VerifiableConsumer).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installsForbidden, NO_INSTALL_ENV } from './env.js';
import { HarnessError } from './errors.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const configDir = path.join(repoRoot, 'test', 'kafka', 'config');
const cacheRoot = path.join(repoRoot, '.cache', 'kafka');

/** Tried in order when no version is asked for; the first that resolves is remembered. */
export const DEFAULT_VERSIONS = ['4.4.0', '4.3.1', '4.2.0', '4.1.1'] as const;

export interface KafkaJars {
  version: string;
  /** Java classpath (a `dir/*` wildcard that java expands itself). */
  classpath: string;
  /** JVM flags that point Kafka's logging at our quiet config. */
  logFlags: string[];
}

export function majorMinor(version: string): [number, number] {
  const [major = 0, minor = 0] = version.split('.').map((n) => Number.parseInt(n, 10) || 0);
  return [major, minor];
}

function loggingDeps(version: string): string[] {
  if (majorMinor(version)[0] >= 4) {
    // 4.x pins slf4j-api 1.7.36, so the binding is log4j-slf4j-impl (not -slf4j2-impl).
    return [
      'org.apache.logging.log4j:log4j-api:2.25.3',
      'org.apache.logging.log4j:log4j-core:2.25.3',
      'org.apache.logging.log4j:log4j-slf4j-impl:2.25.3',
    ];
  }
  // 3.x: without reload4j, Log4jControllerRegistration throws NoClassDefFoundError at start.
  return ['ch.qos.reload4j:reload4j:1.2.25', 'org.slf4j:slf4j-reload4j:1.7.36'];
}

export function logFlags(version: string): string[] {
  return majorMinor(version)[0] >= 4
    ? [`-Dlog4j2.configurationFile=${path.join(configDir, 'log4j2.properties')}`]
    : [`-Dlog4j.configuration=file:${path.join(configDir, 'log4j.properties')}`];
}

function pom(artifact: string, version: string): string {
  const deps = [`org.apache.kafka:${artifact}:${version}`, ...loggingDeps(version)].map((gav) => {
    const [g, a, v] = gav.split(':');
    return `    <dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`;
  });
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.sluice</groupId><artifactId>kafka-${artifact}-libs</artifactId><version>0</version>
  <packaging>pom</packaging>
  <dependencies>
${deps.join('\n')}
  </dependencies>
</project>
`;
}

const inFlight = new Map<string, Promise<string>>();

/** Resolves one jar set into .cache/kafka/<version>/<dir> once; later calls reuse the directory. */
function resolveSet(version: string, kind: 'broker' | 'tools'): Promise<string> {
  const key = `${kind}@${version}`;
  let p = inFlight.get(key);
  if (!p) {
    p = resolveSetNow(version, kind);
    inFlight.set(key, p);
    p.catch(() => inFlight.delete(key));
  }
  return p;
}

async function resolveSetNow(version: string, kind: 'broker' | 'tools'): Promise<string> {
  if (!/^[0-9A-Za-z][0-9A-Za-z.+_-]*$/.test(version)) throw new HarnessError(`Invalid Kafka version "${version}".`);
  const base = path.join(cacheRoot, version);
  const libDir = path.join(base, kind === 'broker' ? 'libs' : 'tools-libs');
  // The directory only appears by rename after a complete resolution, so its existence means "complete".
  if (existsSync(libDir)) return libDir;
  const artifact = kind === 'broker' ? 'kafka_2.13' : 'kafka-tools';
  const partial = `${libDir}.partial-${process.pid}-${Date.now()}`;
  const pomFile = `${partial}.pom.xml`;
  mkdirSync(base, { recursive: true });
  writeFileSync(pomFile, pom(artifact, version));
  // While tests run, nothing may be downloaded: Maven goes offline and can only copy what the local
  // repository (~/.m2) already holds. The set-up of `npm test` resolves what the test files declare.
  const offline = installsForbidden();
  try {
    // -U: re-check artifacts whose earlier download failed; Maven otherwise caches the failure for a day.
    const args = [
      '-B',
      '-q',
      offline ? '-o' : '-U',
      '-Dstyle.color=never',
      '-f',
      pomFile,
      'dependency:copy-dependencies',
    ];
    args.push(`-DoutputDirectory=${partial}`, '-DincludeScope=runtime');
    const { code, output } = await run('mvn', args, 10 * 60_000);
    if (code !== 0) {
      const where = offline
        ? `the local Maven repository (offline: ${NO_INSTALL_ENV}=1 forbids downloads while tests run; \`npm test\` resolves, before any test starts, the jars its test files declare with a \`// sluice-test-needs: ${kind === 'broker' ? `kafka@${version}` : 'kafka-tools'}\` line)`
        : 'Maven Central';
      throw new HarnessError(
        `Could not resolve Apache Kafka ${version} (org.apache.kafka:${artifact}) from ${where}: ${mavenError(output)}`,
      );
    }
    try {
      renameSync(partial, libDir);
    } catch (err) {
      // Another process finished the same resolution first; theirs is as good as ours.
      if (!existsSync(libDir)) throw err;
    }
    return libDir;
  } finally {
    rmSync(partial, { recursive: true, force: true });
    rmSync(pomFile, { force: true });
    // Leave no empty .cache/kafka/<bad-version>/ behind after a failed resolution.
    if (!existsSync(path.join(base, 'libs')) && !existsSync(path.join(base, 'tools-libs'))) {
      rmSync(base, { recursive: true, force: true });
    }
  }
}

function mavenError(output: string): string {
  const errors = output
    .replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '') // jansi resets survive style.color=never
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('[ERROR]'))
    .map((l) =>
      l
        .replace(/^\[ERROR\]\s*/, '')
        .replace(/^Failed to execute goal on project [^:]+: /, '')
        .replace(/^Could not resolve dependencies for project \S+: /, '')
        .replace(/ -> \[Help 1\]$/, ''),
    )
    .filter((l) => l.length > 0);
  const first = errors[0] ?? output.trim().split('\n').slice(-3).join(' ');
  return first.length > 400 ? `${first.slice(0, 400)}…` : first;
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        reject(
          new HarnessError(
            'Maven (`mvn`) was not found on PATH. The Kafka test broker is assembled from Maven Central jars; ' +
              'install Maven (Debian/Ubuntu: apt-get install -y maven) or run `npm test`, which installs it when run as root.',
          ),
        );
      } else reject(err);
    });
    child.on('close', (code) => resolve({ code, output }));
  });
}

function jars(version: string, dir: string): KafkaJars {
  return { version, classpath: path.join(dir, '*'), logFlags: logFlags(version) };
}

/** The version asked for by the caller or SLUICE_KAFKA_VERSION, else undefined (meaning: the default). */
export function requestedVersion(version?: string): string | undefined {
  return version || process.env.SLUICE_KAFKA_VERSION || undefined;
}

/**
 * Resolves the broker jars. With no version (and no SLUICE_KAFKA_VERSION) it uses the newest 4.x that
 * resolves, trying DEFAULT_VERSIONS in order, and remembers the winner in .cache/kafka/default-version.
 */
export async function resolveKafka(version?: string): Promise<KafkaJars> {
  const wanted = requestedVersion(version);
  if (wanted) return jars(wanted, await resolveSet(wanted, 'broker'));
  const remembered = readRemembered();
  if (remembered && existsSync(path.join(cacheRoot, remembered, 'libs'))) {
    return jars(remembered, path.join(cacheRoot, remembered, 'libs'));
  }
  const failures: string[] = [];
  for (const v of DEFAULT_VERSIONS) {
    try {
      const dir = await resolveSet(v, 'broker');
      writeFileSync(path.join(cacheRoot, 'default-version'), `${v}\n`);
      return jars(v, dir);
    } catch (err) {
      if (!(err instanceof HarnessError) || err.message.includes('`mvn`')) throw err;
      failures.push(err.message);
    }
  }
  throw new HarnessError(
    `Could not resolve any of Apache Kafka ${DEFAULT_VERSIONS.join(', ')} from Maven Central.\n${failures.join('\n')}`,
  );
}

function readRemembered(): string | undefined {
  try {
    return readFileSync(path.join(cacheRoot, 'default-version'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The `kafka-tools` classpath (ConsoleConsumer, ProducerPerformance, VerifiableConsumer, …), resolved on first use. */
export async function resolveKafkaTools(version?: string): Promise<KafkaJars> {
  const v = (await resolveKafka(version)).version;
  return jars(v, await resolveSet(v, 'tools'));
}
