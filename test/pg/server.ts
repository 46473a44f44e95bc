// startPostgres(): a PostgreSQL server of our own for a test — initdb into a fresh temp dir, listening on
// 127.0.0.1 on a free port (its unix socket in the temp dir), run under the Kafka harness's watchdog
// (test/kafka/supervisor-process.mjs), so that a SIGKILL of the test process still kills the server and
// removes the temp dir. It never touches a server that is already running on the machine.
//
// Root: PostgreSQL refuses to run as root ("root" execution of the PostgreSQL server is not
// permitted), and `npm test` runs as root in CI. So as root, initdb and postgres run as the `postgres`
// user (Debian's package creates it) through `setpriv`, which switches user and then execs: the pid the
// watchdog holds is the postmaster's own, so its SIGKILL hits the server, not a wrapper (runuser and su
// fork and wait, and a SIGKILL of them would leave the server running). The temp dir is handed to that
// user; the watchdog (root) removes it all the same.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { HarnessError } from '../kafka/errors.js';
import { freePorts } from '../kafka/ports.js';
import { Supervisor } from '../kafka/supervisor.js';
import { type PostgresBinaries, requirePostgres } from './binaries.js';

export interface StartPostgresOptions {
  /** postgresql.conf settings, applied last (`-c name=value`). */
  config?: Record<string, string | number | boolean>;
  /** How long start() waits for `select 1` to answer. Default 30 s. */
  startTimeoutMs?: number;
}

export interface PostgresServer {
  readonly version: string;
  readonly host: string;
  readonly port: number;
  /** The superuser initdb made; it logs in over TCP with `password` (SCRAM), so a wrong one fails. */
  readonly user: string;
  readonly password: string;
  /** `postgres`, the database initdb made. */
  readonly database: string;
  /** `postgres://user:password@127.0.0.1:port/database`. */
  readonly url: string;
  /** The temp dir: data in `data/`, the log in `postgres.log`, the unix socket. */
  readonly dir: string;
  /** The URL of another database of this server (createDatabase makes one). */
  urlFor(database: string): string;
  /** Creates a database (if missing) and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Runs one statement on a fresh connection (to `database`, default `postgres`) and returns its rows. */
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
    database?: string,
  ): Promise<R[]>;
  /** The postmaster's pid while it runs. */
  pid(): number | undefined;
  logTail(lines?: number): string;
  /** Fast shutdown (SIGINT: open transactions roll back, clients are disconnected), and wait for it. */
  stop(): Promise<void>;
  /** Starts the server again after stop() or kill(): same port, same data. Waits until it answers. */
  start(): Promise<void>;
  /** SIGKILL of the postmaster (a crash); waits until its children are gone too, so start() can follow. */
  kill(): Promise<void>;
  /** Kills the server and removes the temp dir. Idempotent. */
  close(): Promise<void>;
}

const PROC = 'postgres';
const USER = 'sluice';

/** Port clashes (another process took the free port we picked) are retried with another port. */
class PortClash extends HarnessError {}

export async function startPostgres(opts: StartPostgresOptions = {}): Promise<PostgresServer> {
  const bins = requirePostgres();
  const runAs = runAsPrefix();
  for (let attempt = 1; ; attempt++) {
    const sup = await Supervisor.start(path.join(tmpdir(), 'sluice-pg-'));
    try {
      const [port] = await freePorts(1);
      const server = new Server(sup, bins, runAs, port!, opts);
      await server.init();
      await server.start();
      return server;
    } catch (err) {
      await sup.close();
      if (err instanceof PortClash && attempt < 3) continue;
      throw err;
    }
  }
}

interface RunAs {
  /** Command prefix: empty unless root. */
  prefix: string[];
  uid?: number;
  gid?: number;
}

function runAsPrefix(): RunAs {
  if (process.getuid?.() !== 0) return { prefix: [] };
  let entry: string;
  try {
    entry = execFileSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' });
  } catch {
    throw new HarnessError(
      'Running as root, the PostgreSQL harness runs the server as the `postgres` user (the server refuses ' +
        'root), and there is no such user. Install the postgresql package (it creates the user) or run the ' +
        'tests as a normal user.',
    );
  }
  const [, , uid, gid] = entry.trim().split(':');
  const prefix = ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--'];
  return { prefix, uid: Number(uid), gid: Number(gid) };
}

class Server implements PostgresServer {
  readonly version: string;
  readonly host = '127.0.0.1';
  readonly user = USER;
  readonly password = randomBytes(12).toString('hex');
  readonly database = 'postgres';
  readonly url: string;
  readonly dir: string;
  private readonly dataDir: string;
  private readonly log: string;
  /** Unique, and part of every server process's title: how kill() finds the children it must outlive. */
  private readonly clusterName: string;
  private closed = false;

  constructor(
    private readonly sup: Supervisor,
    private readonly bins: PostgresBinaries,
    private readonly runAs: RunAs,
    readonly port: number,
    private readonly opts: StartPostgresOptions,
  ) {
    this.version = bins.version;
    this.dir = sup.dir!;
    this.dataDir = path.join(this.dir, 'data');
    this.log = path.join(this.dir, 'postgres.log');
    this.clusterName = path.basename(this.dir);
    this.url = this.urlFor(this.database);
  }

  urlFor(database: string): string {
    return `postgres://${USER}:${this.password}@${this.host}:${this.port}/${encodeURIComponent(database)}`;
  }

  /** The server's processes see only this: no HOME of root's they could not read, C locale, UTC. */
  private env(): NodeJS.ProcessEnv {
    return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.dir, LC_ALL: 'C', LANG: 'C', TZ: 'UTC' };
  }

  async init(): Promise<void> {
    const pwfile = path.join(this.dir, 'pwfile');
    writeFileSync(pwfile, `${this.password}\n`, { mode: 0o600 });
    if (this.runAs.uid !== undefined) {
      chownSync(this.dir, this.runAs.uid, this.runAs.gid!);
      chownSync(pwfile, this.runAs.uid, this.runAs.gid!);
    }
    const args = [
      ...this.runAs.prefix,
      this.bins.initdb,
      `--pgdata=${this.dataDir}`,
      `--username=${USER}`,
      `--pwfile=${pwfile}`,
      '--auth-local=trust', // the unix socket is in our own temp dir
      '--auth-host=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C',
      // Only the initial files go unsynced (a crash of the machine mid-test loses the test anyway);
      // the server itself runs with fsync on.
      '--no-sync',
    ];
    const log = path.join(this.dir, 'initdb.log');
    const [cmd, ...rest] = args;
    await this.sup.spawn('initdb', cmd!, rest, { log, cwd: this.dir, env: this.env() });
    const exit = await this.sup.exited('initdb');
    if (exit.code !== 0) {
      throw new HarnessError(`initdb failed (${exit.error ?? `exit ${exit.code}`}):\n${tail(log, 20)}`);
    }
  }

  private serverArgs(): string[] {
    const settings: Record<string, string | number | boolean> = {
      listen_addresses: '127.0.0.1',
      port: this.port,
      unix_socket_directories: this.dir,
      cluster_name: this.clusterName,
      // Tests check durability across stops and crashes: keep what production has.
      fsync: 'on',
      synchronous_commit: 'on',
      full_page_writes: 'on',
      shared_buffers: '16MB',
      max_connections: 50,
      // Files in the data dir, not /dev/shm: a SIGKILLed server would leave its /dev/shm segments behind.
      dynamic_shared_memory_type: 'mmap',
      log_min_messages: 'warning',
      ...this.opts.config,
    };
    const cs = Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${String(v)}`]);
    return [...this.runAs.prefix, this.bins.postgres, '-D', this.dataDir, ...cs];
  }

  async start(): Promise<void> {
    if (this.closed) throw new HarnessError('this PostgreSQL server is closed');
    if (this.sup.isRunning(PROC)) return;
    const [cmd, ...args] = this.serverArgs();
    await this.sup.spawn(PROC, cmd!, args, { log: this.log, cwd: this.dir, env: this.env() });
    await this.sup.hold(this.waitReady(Date.now() + (this.opts.startTimeoutMs ?? 30_000)));
  }

  private async waitReady(deadline: number): Promise<void> {
    let last = 'no answer yet';
    for (;;) {
      if (!this.sup.isRunning(PROC)) {
        await sleep(50); // let the log catch up with the exit
        const log = tail(this.log, 20);
        const msg = `PostgreSQL ${this.version} exited during start-up. Last lines of its log:\n${log}`;
        throw /could not bind|Address already in use/.test(log) ? new PortClash(msg) : new HarnessError(msg);
      }
      if (Date.now() > deadline) {
        throw new HarnessError(`PostgreSQL did not answer select 1 in time (${last}):\n${tail(this.log, 20)}`);
      }
      try {
        await this.query('select 1');
        return;
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(100);
    }
  }

  async query<R extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params: unknown[] = [],
    database = this.database,
  ): Promise<R[]> {
    const client = new pg.Client({ connectionString: this.urlFor(database), connectionTimeoutMillis: 5000 });
    client.on('error', () => {}); // a server stopping under us; the query rejects anyway
    try {
      await client.connect();
      return (await client.query(sql, params)).rows as R[];
    } finally {
      await client.end().catch(() => {});
    }
  }

  async createDatabase(name: string): Promise<string> {
    const exists = await this.query('select 1 from pg_database where datname = $1', [name]);
    if (exists.length === 0) await this.query(`create database "${name.replaceAll('"', '""')}"`);
    return this.urlFor(name);
  }

  pid(): number | undefined {
    return this.sup.pidOf(PROC);
  }

  logTail(lines = 40): string {
    return tail(this.log, lines);
  }

  async stop(): Promise<void> {
    const pid = this.pid();
    if (pid === undefined) return;
    const exit = this.sup.exited(PROC);
    // The watchdog relays SIGTERM/SIGKILL only, and SIGTERM is PostgreSQL's *smart* shutdown, which
    // waits for every client to disconnect. We may signal the postmaster ourselves: root, or its owner.
    process.kill(pid, 'SIGINT');
    if (await this.exitsWithin(exit, 30_000)) return;
    await this.kill();
  }

  private async exitsWithin(exit: Promise<unknown>, ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
    try {
      return await this.sup.hold(Promise.race([exit.then(() => true), late]));
    } finally {
      clearTimeout(timer);
    }
  }

  async kill(): Promise<void> {
    if (!this.sup.isRunning(PROC)) return;
    const exit = this.sup.exited(PROC);
    this.sup.signal(PROC, 'SIGKILL');
    await exit;
    // Its children notice the postmaster's death and exit on their own within milliseconds; a new
    // postmaster would refuse to start while any of them still holds the old shared memory.
    const deadline = Date.now() + 10_000;
    while (this.children().length > 0) {
      if (Date.now() > deadline)
        throw new HarnessError(`PostgreSQL processes outlived their postmaster: ${this.children()}`);
      await this.sup.hold(sleep(20));
    }
  }

  /** Pids of this server's backends and background processes ("postgres: <cluster_name>: …"). */
  private children(): number[] {
    const title = `postgres: ${this.clusterName}: `;
    const out: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').startsWith(title)) out.push(Number(entry));
      } catch {
        // gone meanwhile
      }
    }
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    // Immediate shutdown (SIGQUIT: no checkpoint, the data is discarded anyway) rather than the
    // watchdog's SIGKILL: a postmaster that exits removes its System V interlock segment; a killed one
    // leaves it behind for good.
    const pid = this.pid();
    if (pid !== undefined) {
      const exit = this.sup.exited(PROC);
      process.kill(pid, 'SIGQUIT');
      await this.exitsWithin(exit, 5000);
    }
    await this.sup.close();
  }
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
