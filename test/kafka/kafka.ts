// startKafka(): a real Apache Kafka (KRaft, combined broker+controller nodes) on loopback, in a fresh temp
// dir, under the watchdog. Ready means a real ApiVersions round trip on every listener of every node.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeCertificates } from './certs.js';
import {
  type ConfigValue,
  formatFeatureArgs,
  type NodeLayout,
  nodeConfig,
  scramFormatArgs,
  toProperties,
  validateUsers,
} from './config.js';
import { HarnessError } from './errors.js';
import { type KafkaJars, resolveKafka } from './jars.js';
import { brokerJvmFlags, type JvmMode, javaBin } from './java.js';
import { assertPortFree, freePorts } from './ports.js';
import { type ExitInfo, Supervisor } from './supervisor.js';
import {
  type BrokerInfo,
  type KafkaInfo,
  LISTENERS,
  type ListenerName,
  SASL_MECHANISMS,
  type SaslUser,
  type TlsFiles,
} from './types.js';
import { apiVersions, metadataBrokers, type WireOptions } from './wire.js';

export interface StartKafkaOptions {
  nodes?: 1 | 3;
  /** Listeners besides PLAINTEXT, which is always on: SASL_PLAINTEXT, SSL, SASL_SSL. */
  listeners?: ListenerName[];
  /** server.properties overrides, applied last. */
  config?: Record<string, ConfigValue>;
  /** Kafka version; default SLUICE_KAFKA_VERSION, else the newest 4.x that resolves. */
  version?: string;
  /** `test` (default): fast-start JVM. `bench`: 2 GiB heap and a full JIT. */
  mode?: JvmMode;
  /** Fixed ports (single node only), e.g. { PLAINTEXT: 9092 }; others are picked free. */
  ports?: Partial<Record<ListenerName, number>>;
  /** SASL users (default admin/admin-secret and alice/alice-secret); with `acls`, the first is a super user. */
  users?: SaslUser[];
  /** Enable StandardAuthorizer (super users: User:ANONYMOUS and the first SASL user). */
  acls?: boolean;
  startTimeoutMs?: number;
}

export interface KafkaCluster extends KafkaInfo {
  /** A plain, JSON-serialisable copy of the cluster's description. */
  info(): KafkaInfo;
  /** The JVM's pid, while it runs. */
  pid(nodeId: number): number | undefined;
  logFile(nodeId: number): string;
  logTail(nodeId: number, lines?: number): string;
  /** SIGTERM (controlled shutdown) and wait; all nodes when nodeId is omitted. */
  stop(nodeId?: number): Promise<void>;
  /** SIGKILL and wait for the exit; all nodes when nodeId is omitted. */
  kill(nodeId?: number): Promise<void>;
  /** Stops the node if it runs, starts it again (same ports and data) and waits until it answers ApiVersions. */
  restart(nodeId: number): Promise<void>;
  /** Kills everything and removes the temp dir. Data is discarded, so no controlled shutdown: fast. */
  close(): Promise<void>;
  /** Resolves when a node exits without stop/kill/close having been asked for. Keeps the process alive. */
  unexpectedExit(): Promise<{ nodeId: number } & ExitInfo>;
}

const DEFAULT_USERS: SaslUser[] = [
  { username: 'admin', password: 'admin-secret' },
  { username: 'alice', password: 'alice-secret' },
];

class PortClash extends HarnessError {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const procId = (nodeId: number) => `node-${nodeId}`;

function clusterId(): string {
  // Kafka's Uuid.randomUuid rejects ids whose base64 form starts with '-' (they look like CLI flags).
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export async function startKafka(opts: StartKafkaOptions = {}): Promise<KafkaCluster> {
  const nodes = opts.nodes ?? 1;
  if (nodes !== 1 && nodes !== 3) throw new HarnessError(`startKafka: nodes must be 1 or 3, not ${nodes}`);
  for (const l of opts.listeners ?? []) {
    if (!LISTENERS.includes(l)) throw new HarnessError(`startKafka: unknown listener ${l}`);
  }
  const listeners: ListenerName[] = ['PLAINTEXT', ...new Set((opts.listeners ?? []).filter((l) => l !== 'PLAINTEXT'))];
  const fixed = Object.entries(opts.ports ?? {}) as Array<[ListenerName, number]>;
  if (fixed.length > 0 && nodes !== 1) throw new HarnessError('startKafka: fixed ports need nodes: 1');
  for (const [l, port] of fixed) {
    if (!listeners.includes(l)) throw new HarnessError(`startKafka: a port was given for ${l}, which is not enabled`);
    await assertPortFree(port);
  }
  const users = opts.users ?? DEFAULT_USERS;
  validateUsers(users);
  const jars = await resolveKafka(opts.version);
  const java = javaBin();
  for (let attempt = 1; ; attempt++) {
    const sup = await Supervisor.start(path.join(tmpdir(), 'sluice-kafka-'));
    try {
      return await boot(sup, { ...opts, nodes, listeners, users, jars, java });
    } catch (err) {
      await sup.close();
      // Free ports are picked, then released for the JVM to bind: another process can take one in between.
      if (err instanceof PortClash && fixed.length === 0 && attempt < 3) continue;
      throw err;
    }
  }
}

interface BootSpec extends StartKafkaOptions {
  nodes: 1 | 3;
  listeners: ListenerName[];
  users: SaslUser[];
  jars: KafkaJars;
  java: string;
}

async function boot(sup: Supervisor, spec: BootSpec): Promise<KafkaCluster> {
  const dir = sup.dir!;
  const free = await freePorts(spec.nodes * (spec.listeners.length + 1));
  const take = () => free.shift()!;
  const layout: NodeLayout[] = [];
  for (let nodeId = 1; nodeId <= spec.nodes; nodeId++) {
    const ports = Object.fromEntries(spec.listeners.map((l) => [l, spec.ports?.[l] ?? take()]));
    layout.push({ nodeId, listeners: ports as NodeLayout['listeners'], controllerPort: take() });
  }
  const tlsOn = spec.listeners.some((l) => l === 'SSL' || l === 'SASL_SSL');
  const tls = tlsOn ? await makeCertificates(dir) : undefined;
  const saslOn = spec.listeners.some((l) => l === 'SASL_PLAINTEXT' || l === 'SASL_SSL');
  const mode = spec.mode ?? 'test';
  const tmp = path.join(dir, 'tmp');
  mkdirSync(tmp);
  const id = clusterId();
  const commands = new Map<number, string[]>();
  await Promise.all(
    layout.map(async (node) => {
      const nodeDir = path.join(dir, `n${node.nodeId}`);
      mkdirSync(nodeDir);
      const cfg = nodeConfig({
        version: spec.jars.version,
        mode,
        node,
        all: layout,
        logDir: path.join(nodeDir, 'data'),
        listeners: spec.listeners,
        ...(tls ? { ssl: tls } : {}),
        users: spec.users,
        acls: spec.acls ?? false,
        overrides: spec.config ?? {},
      });
      const props = path.join(nodeDir, 'server.properties');
      writeFileSync(props, toProperties(cfg));
      const base = [...spec.jars.logFlags, '-cp', spec.jars.classpath];
      // Format with the same jars that run the broker: since 4.4 formatted storage is not forward-compatible.
      const format = ['-Xmx256m', '-XX:TieredStopAtLevel=1', '-XX:-UsePerfData', `-Djava.io.tmpdir=${tmp}`, ...base];
      format.push('kafka.tools.StorageTool', 'format', '-t', id, '-c', props, ...formatFeatureArgs(spec.jars.version));
      if (saslOn) format.push(...scramFormatArgs(spec.users));
      const log = path.join(nodeDir, 'format.log');
      await sup.spawn(`format-${node.nodeId}`, spec.java, format, { log, cwd: nodeDir });
      const exit = await sup.exited(`format-${node.nodeId}`);
      if (exit.code !== 0) {
        throw new HarnessError(`Formatting KRaft storage for node ${node.nodeId} failed:\n${tail(log, 20, true)}`);
      }
      commands.set(node.nodeId, [...brokerJvmFlags(mode, spec.nodes, tmp), ...base, 'kafka.Kafka', props]);
    }),
  );
  const brokers: BrokerInfo[] = layout.map((n) => ({
    nodeId: n.nodeId,
    host: '127.0.0.1',
    port: n.listeners.PLAINTEXT,
    listeners: n.listeners,
  }));
  const join = (l: ListenerName) => brokers.map((b) => `127.0.0.1:${b.listeners[l]}`).join(',');
  const info: KafkaInfo = {
    version: spec.jars.version,
    bootstrap: join('PLAINTEXT'),
    bootstraps: Object.fromEntries(spec.listeners.map((l) => [l, join(l)])) as KafkaInfo['bootstraps'],
    brokers,
    dataDir: dir,
    ...(tls ? { caPem: tls.caPem, tls: tlsFiles(tls) } : {}),
    ...(saslOn ? { users: spec.users, saslMechanisms: [...SASL_MECHANISMS] } : {}),
  };
  const cluster = new Cluster(
    sup,
    info,
    spec.java,
    commands,
    spec.startTimeoutMs ?? (spec.nodes === 1 ? 60_000 : 120_000),
  );
  const deadline = Date.now() + cluster.startTimeoutMs;
  await Promise.all(brokers.map((b) => cluster.startNode(b.nodeId, deadline)));
  if (spec.nodes > 1) await cluster.waitForBrokers(spec.nodes, deadline);
  return cluster;
}

function tlsFiles(t: TlsFiles): TlsFiles {
  return { caPem: t.caPem, caFile: t.caFile, clientCertFile: t.clientCertFile, clientKeyFile: t.clientKeyFile };
}

/** The last lines of a log; `condensed` drops Java stack frames so error messages show the causes. */
function tail(file: string, lines = 40, condensed = false): string {
  try {
    let all = readFileSync(file, 'utf8').trimEnd().split('\n');
    if (condensed) all = all.filter((l) => !/^\s+(at |\.\.\. \d+ more)/.test(l));
    return all.slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

class Cluster implements KafkaCluster {
  readonly version: string;
  readonly bootstrap: string;
  readonly bootstraps: KafkaInfo['bootstraps'];
  readonly brokers: BrokerInfo[];
  readonly dataDir: string;
  readonly caPem?: string;
  readonly tls?: TlsFiles;
  readonly users?: SaslUser[];
  readonly saslMechanisms?: KafkaInfo['saslMechanisms'];
  private readonly expected = new Set<number>(); // nodes we are stopping or killing on purpose
  private closed = false;
  private readonly unexpected: Promise<{ nodeId: number } & ExitInfo>;

  constructor(
    private readonly sup: Supervisor,
    private readonly data: KafkaInfo,
    private readonly java: string,
    private readonly commands: Map<number, string[]>,
    readonly startTimeoutMs: number,
  ) {
    this.version = data.version;
    this.bootstrap = data.bootstrap;
    this.bootstraps = data.bootstraps;
    this.brokers = data.brokers;
    this.dataDir = data.dataDir;
    this.caPem = data.caPem;
    this.tls = data.tls;
    this.users = data.users;
    this.saslMechanisms = data.saslMechanisms;
    this.unexpected = new Promise((resolve) =>
      sup.onExit((id, exit) => {
        const nodeId = Number(id.replace(/^node-/, ''));
        if (id.startsWith('node-') && !this.closed && !this.expected.has(nodeId)) resolve({ nodeId, ...exit });
      }),
    );
  }

  info(): KafkaInfo {
    return JSON.parse(JSON.stringify(this.data)) as KafkaInfo;
  }

  private broker(nodeId: number): BrokerInfo {
    const b = this.brokers.find((x) => x.nodeId === nodeId);
    if (!b) throw new HarnessError(`no node ${nodeId} in this cluster (nodes: ${this.brokers.map((x) => x.nodeId)})`);
    return b;
  }

  pid(nodeId: number): number | undefined {
    return this.sup.pidOf(procId(this.broker(nodeId).nodeId));
  }

  logFile(nodeId: number): string {
    return path.join(this.dataDir, `n${this.broker(nodeId).nodeId}`, 'server.log');
  }

  logTail(nodeId: number, lines = 40): string {
    return tail(this.logFile(nodeId), lines);
  }

  async startNode(nodeId: number, deadline: number): Promise<void> {
    this.expected.delete(nodeId);
    const args = this.commands.get(nodeId)!;
    await this.sup.spawn(procId(nodeId), this.java, args, { log: this.logFile(nodeId), cwd: this.dataDir });
    await this.sup.hold(this.waitReady(nodeId, deadline));
  }

  private wireOptions(l: ListenerName): WireOptions {
    const secure = l === 'SSL' || l === 'SASL_SSL';
    return secure ? { tls: { ca: this.caPem! }, timeoutMs: 3000 } : { timeoutMs: 3000 };
  }

  /** Polls ApiVersions on every listener; the broker opens its sockets only once it is unfenced. */
  private async waitReady(nodeId: number, deadline: number): Promise<void> {
    const b = this.broker(nodeId);
    for (const [l, port] of Object.entries(b.listeners) as Array<[ListenerName, number]>) {
      let last = 'no answer yet';
      for (;;) {
        if (!this.sup.isRunning(procId(nodeId))) {
          await sleep(50); // let the log catch up with the exit
          throw this.startFailure(nodeId, 'exited during start-up');
        }
        if (Date.now() > deadline) throw this.startFailure(nodeId, `did not answer ApiVersions on ${l} (${last})`);
        try {
          const res = await apiVersions('127.0.0.1', port, 3, this.wireOptions(l));
          if (res.errorCode === 0) break;
          last = `error code ${res.errorCode}`;
        } catch (err) {
          last = (err as Error).message;
        }
        await sleep(100);
      }
    }
  }

  private startFailure(nodeId: number, what: string): HarnessError {
    const log = tail(this.logFile(nodeId), 30, true);
    // Not the log's path: a failed start removes the temp dir, log included.
    const msg = `Kafka ${this.version} node ${nodeId} ${what}. Last lines of its log:\n${log}`;
    return /Address already in use|BindException/.test(log) ? new PortClash(msg) : new HarnessError(msg);
  }

  /** Waits until Metadata (from the first running node) lists `count` live brokers. */
  async waitForBrokers(count: number, deadline = Date.now() + this.startTimeoutMs): Promise<void> {
    let seen = -1;
    while (Date.now() < deadline) {
      const b = this.brokers.find((x) => this.sup.isRunning(procId(x.nodeId)));
      if (!b) break;
      try {
        seen = (await this.sup.hold(metadataBrokers('127.0.0.1', b.port))).brokers.length;
        if (seen === count) return;
      } catch {
        // node busy or restarting; try again
      }
      await this.sup.hold(sleep(100));
    }
    throw new HarnessError(`Kafka cluster did not report ${count} live brokers in time (last saw ${seen})`);
  }

  private nodes(nodeId?: number): number[] {
    return nodeId === undefined ? this.brokers.map((b) => b.nodeId) : [this.broker(nodeId).nodeId];
  }

  private async signalAndWait(nodeId: number, signal: 'SIGTERM' | 'SIGKILL', graceMs: number): Promise<void> {
    const id = procId(nodeId);
    if (!this.sup.isRunning(id)) return;
    this.expected.add(nodeId);
    const exit = this.sup.exited(id);
    this.sup.signal(id, signal);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), graceMs)));
    const res = await this.sup.hold(Promise.race([exit, late]));
    clearTimeout(timer);
    if (res === 'late') {
      this.sup.signal(id, 'SIGKILL');
      await exit;
    }
  }

  async stop(nodeId?: number): Promise<void> {
    // Controlled shutdown moves leaderships away first; bounded in case the quorum is already gone.
    await Promise.all(this.nodes(nodeId).map((n) => this.signalAndWait(n, 'SIGTERM', 30_000)));
  }

  async kill(nodeId?: number): Promise<void> {
    await Promise.all(this.nodes(nodeId).map((n) => this.signalAndWait(n, 'SIGKILL', 10_000)));
  }

  async restart(nodeId: number): Promise<void> {
    await this.stop(nodeId);
    await this.startNode(nodeId, Date.now() + this.startTimeoutMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.sup.close();
  }

  unexpectedExit(): Promise<{ nodeId: number } & ExitInfo> {
    return this.sup.hold(this.unexpected);
  }
}
