// Finding java, JVM flags for the broker, and runJava(): run a single-file Java program (Java 11+
// source launcher) against Kafka's own jars — e.g. to compute murmur2 vectors with Kafka's Utils, or to
// run the Java producer/consumer next to ours.
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readSharedKafkaEnv } from './env.js';
import { HarnessError } from './errors.js';
import { repoRoot, resolveKafka, resolveKafkaTools } from './jars.js';
import { Supervisor } from './supervisor.js';

/** JAVA_HOME/bin/java when JAVA_HOME is set, else the first `java` on PATH. */
export function javaBin(): string {
  const home = process.env.JAVA_HOME;
  if (home) {
    const bin = path.join(home, 'bin', 'java');
    if (existsSync(bin)) return bin;
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, 'java'))) return path.join(dir, 'java');
  }
  throw new HarnessError(
    'Java was not found (JAVA_HOME is unset or wrong, and there is no `java` on PATH). The Kafka test broker ' +
      'needs Java 17 or newer: install it (Debian/Ubuntu: apt-get install -y openjdk-17-jdk-headless) ' +
      'or run `npm test`, which installs it when run as root.',
  );
}

export type JvmMode = 'test' | 'bench';

/**
 * Broker JVM flags. Functional tests favour start-up time (C1 only, small heaps: 3 JVMs share 2 cores);
 * `bench` uses Kafka's own production flags (kafka-run-class.sh) with a fixed 2 GiB heap so numbers are
 * not skewed by a crippled JIT.
 */
export function brokerJvmFlags(mode: JvmMode, nodes: number, tmpDir: string): string[] {
  // No perf-data file in /tmp/hsperfdata_* (a SIGKILLed JVM would leave it behind), and any native
  // library a codec extracts goes into our temp dir, which the watchdog removes.
  const common = ['-XX:-UsePerfData', '-Djava.awt.headless=true', `-Djava.io.tmpdir=${tmpDir}`];
  if (mode === 'bench') {
    const g1 = ['-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35'];
    return ['-Xms2g', '-Xmx2g', ...g1, '-XX:+ExplicitGCInvokesConcurrent', ...common];
  }
  const heap = nodes === 1 ? ['-Xms256m', '-Xmx1g'] : ['-Xms192m', '-Xmx640m'];
  return [...heap, '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-XX:+ExitOnOutOfMemoryError', ...common];
}

export interface RunJavaOptions {
  /** A single-file Java program; relative paths are from the repository root. */
  source: string;
  args?: string[];
  /** `broker`: kafka_2.13 and its dependencies (kafka-clients included). `tools`: kafka-tools (resolved on first use). */
  classpath?: 'broker' | 'tools';
  /** Kafka version of the jars; default: the shared broker's version, else the harness default. */
  version?: string;
  jvmArgs?: string[];
  timeoutMs?: number;
  /** Throw when the program exits non-zero (default true). */
  check?: boolean;
}

export interface JavaResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `java -cp <kafka jars> Source.java args…` under the harness watchdog, so the JVM dies with the test
 * process even on SIGKILL, and returns its output.
 */
export async function runJava(opts: RunJavaOptions): Promise<JavaResult> {
  const source = path.resolve(repoRoot, opts.source);
  if (!existsSync(source)) throw new HarnessError(`runJava: no such Java source file: ${source}`);
  const version = opts.version ?? readSharedKafkaEnv()?.version;
  const jars = opts.classpath === 'tools' ? await resolveKafkaTools(version) : await resolveKafka(version);
  const java = javaBin();
  const sup = await Supervisor.start(path.join(tmpdir(), 'sluice-java-'));
  const dir = sup.dir!;
  const timeoutMs = opts.timeoutMs ?? 120_000;
  try {
    const flags = ['-XX:TieredStopAtLevel=1', '-XX:-UsePerfData', `-Djava.io.tmpdir=${dir}`, ...jars.logFlags];
    const args = [...flags, ...(opts.jvmArgs ?? []), '-cp', jars.classpath, source, ...(opts.args ?? [])];
    const out = path.join(dir, 'stdout');
    const err = path.join(dir, 'stderr');
    await sup.spawn('java', java, args, { log: out, stderr: err, cwd: repoRoot });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
    const exit = await Promise.race([sup.exited('java'), timeout]);
    clearTimeout(timer);
    const result = { stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
    if (exit === 'timeout') {
      throw new HarnessError(`runJava: ${opts.source} did not finish within ${timeoutMs} ms\n${tail(result.stderr)}`);
    }
    if (exit.code !== 0 && opts.check !== false) {
      const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
      throw new HarnessError(`runJava: ${opts.source} exited with ${how}\n${tail(result.stderr || result.stdout)}`);
    }
    return { code: exit.code, signal: exit.signal, ...result };
  } finally {
    await sup.close();
  }
}

function tail(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
