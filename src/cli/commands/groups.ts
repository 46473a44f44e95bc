import { Command, Option } from 'commander';
import { withConnectionOptions } from '../connection.js';
import { action } from '../run.js';
import { isShareGroup } from '../share-kind.js';

type GroupType = import('../../admin/types.js').GroupType;

const EXAMPLES = `
Examples:
  $ sluice groups list
  $ sluice groups describe orders-service
  $ sluice groups reset orders-service -t orders --to-earliest            # shows the plan only
  $ sluice groups reset orders-service -t orders:0,1 --to-offset 42 --execute
  $ sluice groups reset orders-service --all-topics --to-timestamp 2026-11-28T09:00:00Z --execute
  $ sluice groups delete orders-service
  $ sluice groups list --type share
  $ sluice groups describe jobs                    # a share group: members, assignments, start offsets
  $ sluice groups reset jobs -t jobs --to-latest --execute   # a share group's start offsets
`;

export interface ResetFlags {
  topic?: string[];
  allTopics?: boolean;
  toEarliest?: boolean;
  toLatest?: boolean;
  toOffset?: string;
  toTimestamp?: string;
  execute?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

async function withAdmin<T>(
  flags: Record<string, unknown>,
  fn: (a: import('../../admin/admin.js').Admin) => Promise<T>,
): Promise<T> {
  const { Admin } = await import('../../admin/admin.js');
  const { clientOptions } = await import('../connection.js');
  const a = new Admin(clientOptions(flags));
  try {
    return await fn(a);
  } finally {
    a.close();
  }
}

/** `sluice groups`: list, describe, delete, reset offsets. */
export function register(program: Command): void {
  const groups = new Command('groups')
    .description('list, describe, delete consumer groups and reset their offsets')
    .addHelpText('after', EXAMPLES);

  const list = new Command('list')
    .description('groups known to the cluster: id, state, type')
    .option('--state <state...>', 'only groups in these states (Stable, Empty, …)')
    .option('--type <type...>', 'only groups of these types (classic, consumer, share, streams)')
    .option('-J, --json', 'as JSON');
  withConnectionOptions(list).action(
    action(async (flags: { state?: string[]; type?: string[]; json?: boolean }) =>
      withAdmin(flags, async (a) => {
        const found = await a.listGroups({
          ...(flags.state ? { states: flags.state } : {}),
          ...(flags.type ? { types: flags.type as GroupType[] } : {}),
        });
        found.sort((x, y) => x.groupId.localeCompare(y.groupId));
        if (flags.json) process.stdout.write(`${JSON.stringify(found)}\n`);
        else
          process.stdout.write(
            found.map((g) => `${g.groupId}\t${g.state || '-'}\t${g.type || g.protocolType || '-'}\n`).join(''),
          );
        return 0;
      }),
    ),
  );

  const describe = new Command('describe')
    .description(
      "a group's state, members, and per partition its committed offset (share groups: start offset), end offset and lag",
    )
    .argument('<group>')
    .option('-J, --json', 'as JSON');
  withConnectionOptions(describe).action(
    action(async (group: string, flags: { json?: boolean }) =>
      withAdmin(flags, async (a) => {
        if (await isShareGroup(a, group)) {
          const { describeShareGroup } = await import('../share-groups.js');
          return describeShareGroup(a, group, Boolean(flags.json));
        }
        const [[desc], lag] = await Promise.all([a.describeGroups([group]), a.groupLag(group)]);
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({ ...desc, lag })}\n`);
          return 0;
        }
        const d = desc!;
        let out = `group ${d.groupId}: ${d.state}, ${d.type}${d.assignor ? `, assignor ${d.assignor}` : ''}, coordinator ${d.coordinator}, ${d.members.length} members\n`;
        const owner = new Map<string, string>();
        for (const m of d.members) {
          out += `  member ${m.memberId} (${m.clientId}@${m.clientHost}): ${m.assignment.map((p) => `${p.topic}[${p.partition}]`).join(' ') || 'nothing'}\n`;
          for (const p of m.assignment) owner.set(`${p.topic}\0${p.partition}`, m.clientId);
        }
        out += 'TOPIC\tPARTITION\tCOMMITTED\tEND\tLAG\tOWNER\n';
        for (const p of lag.partitions) {
          out += `${p.topic}\t${p.partition}\t${p.committedOffset ?? '-'}\t${p.logEndOffset}\t${p.lag ?? '-'}\t${owner.get(`${p.topic}\0${p.partition}`) ?? '-'}\n`;
        }
        out += `total lag ${lag.totalLag}\n`;
        process.stdout.write(out);
        return 0;
      }),
    ),
  );

  const del = new Command('delete').description('delete groups (only groups without members)').argument('<groups...>');
  withConnectionOptions(del).action(
    action(async (ids: string[], flags: Record<string, unknown>) =>
      withAdmin(flags, async (a) => {
        await a.deleteGroups(ids);
        process.stderr.write(`% Deleted ${ids.join(', ')}\n`);
        return 0;
      }),
    ),
  );

  const reset = new Command('reset')
    .alias('reset-offsets')
    .description(
      "move a group's committed offsets (share groups: start offsets); shows the plan unless --execute (the group must have no members)",
    )
    .argument('<group>')
    .option('-t, --topic <topic...>', 'topics to reset, as topic or topic:p,p (some partitions); repeatable')
    .option('--all-topics', 'every topic the group has committed offsets for')
    .option('--to-earliest', 'to the start of each partition')
    .option('--to-latest', 'to the end of each partition')
    .option('--to-offset <n>', 'to this offset (kept within each partition)')
    .option('--to-timestamp <ms|ISO date>', 'to the first record at or after this time (the end if none)')
    .addOption(new Option('--dry-run', 'only show what would change (the default)').conflicts('execute'))
    .option('--execute', 'apply the change')
    .option('-J, --json', 'print the plan as JSON');
  withConnectionOptions(reset).action(
    action(async (group: string, flags: ResetFlags & Record<string, unknown>) => {
      const { resetOffsets } = await import('../reset-offsets.js');
      return withAdmin(flags, (a) => resetOffsets(a, group, flags));
    }),
  );

  for (const c of [list, describe, del, reset]) groups.addCommand(c);
  program.addCommand(groups);
}
