import { Command } from 'commander';
import { withConnectionOptions } from '../connection.js';
import { action } from '../run.js';

const EXAMPLES = `
Examples:
  $ sluice topics list
  $ sluice topics create orders --partitions 12 --replication-factor 3 --topic-config retention.ms=604800000
  $ sluice topics describe orders
  $ sluice topics delete orders
`;

async function admin(flags: Record<string, unknown>) {
  const { Admin } = await import('../../admin/admin.js');
  const { clientOptions } = await import('../connection.js');
  return new Admin(clientOptions(flags));
}

async function withAdmin<T>(
  flags: Record<string, unknown>,
  fn: (a: import('../../admin/admin.js').Admin) => Promise<T>,
): Promise<T> {
  const a = await admin(flags);
  try {
    return await fn(a);
  } finally {
    a.close();
  }
}

function positiveInt(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new Error(`${option} must be a positive whole number`);
  return Number(text);
}

/** `sluice topics`: list, create, describe, delete. */
export function register(program: Command): void {
  const topics = new Command('topics')
    .description('list, create, describe and delete topics')
    .addHelpText('after', EXAMPLES);

  const list = new Command('list')
    .description('topic names, one per line')
    .option('--internal', 'include internal topics (__consumer_offsets, …)')
    .option('-J, --json', 'as a JSON array');
  withConnectionOptions(list).action(
    action(async (flags: { internal?: boolean; json?: boolean }) =>
      withAdmin(flags, async (a) => {
        const names = await a.listTopics({ includeInternal: Boolean(flags.internal) });
        process.stdout.write(flags.json ? `${JSON.stringify(names)}\n` : names.map((n) => `${n}\n`).join(''));
        return 0;
      }),
    ),
  );

  const create = new Command('create')
    .description('create a topic')
    .argument('<topic>')
    .option('--partitions <n>', "partition count (default: the broker's num.partitions)")
    .option('--replication-factor <n>', "replicas per partition (default: the broker's default.replication.factor)")
    .option('--topic-config <key=value...>', 'topic config, repeatable (retention.ms=…, cleanup.policy=compact)')
    .option('--if-not-exists', 'succeed when the topic already exists');
  withConnectionOptions(create).action(
    action(async (topic: string, flags: Record<string, unknown>) => {
      const { usage } = await import('../fail.js');
      let partitions: number | undefined;
      let rf: number | undefined;
      try {
        partitions = positiveInt(flags.partitions as string | undefined, '--partitions');
        rf = positiveInt(flags.replicationFactor as string | undefined, '--replication-factor');
      } catch (err) {
        throw usage((err as Error).message);
      }
      const configs: Record<string, string> = {};
      for (const kv of (flags.topicConfig as string[] | undefined) ?? []) {
        const i = kv.indexOf('=');
        if (i <= 0) throw usage(`--topic-config expects key=value, got "${kv}"`);
        configs[kv.slice(0, i)] = kv.slice(i + 1);
      }
      return withAdmin(flags, async (a) => {
        try {
          await a.createTopics([
            {
              topic,
              ...(partitions ? { numPartitions: partitions } : {}),
              ...(rf ? { replicationFactor: rf } : {}),
              configs,
            },
          ]);
        } catch (err) {
          if (flags.ifNotExists && (err as { code?: string }).code === 'TOPIC_ALREADY_EXISTS') return 0;
          throw err;
        }
        process.stderr.write(`% Created topic ${topic}\n`);
        return 0;
      });
    }),
  );

  const describe = new Command('describe')
    .description('partitions, leaders, replicas and in-sync replicas of topics')
    .argument('<topics...>')
    .option('-J, --json', 'as JSON');
  withConnectionOptions(describe).action(
    action(async (names: string[], flags: { json?: boolean }) =>
      withAdmin(flags, async (a) => {
        const desc = await a.describeTopics(names);
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(desc)}\n`);
          return 0;
        }
        let out = '';
        for (const t of desc) {
          out += `topic ${t.topic} (id ${t.topicId}) with ${t.partitions.length} partitions${t.isInternal ? ' (internal)' : ''}:\n`;
          for (const p of t.partitions) {
            out += `  partition ${p.partition}, leader ${p.leader}, replicas: ${p.replicas.join(',')}, isrs: ${p.isr.join(',')}`;
            out += p.offlineReplicas.length ? `, offline: ${p.offlineReplicas.join(',')}\n` : '\n';
          }
        }
        process.stdout.write(out);
        return 0;
      }),
    ),
  );

  const del = new Command('delete').description('delete topics').argument('<topics...>');
  withConnectionOptions(del).action(
    action(async (names: string[], flags: Record<string, unknown>) =>
      withAdmin(flags, async (a) => {
        await a.deleteTopics(names);
        process.stderr.write(`% Deleted ${names.join(', ')}\n`);
        return 0;
      }),
    ),
  );

  for (const c of [list, create, describe, del]) topics.addCommand(c);
  program.addCommand(topics);
}
