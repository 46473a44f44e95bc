// `sluice groups reset`: what kafka-consumer-groups.sh --reset-offsets does. The plan is computed
// and printed first; only --execute writes it, and only to a group without members (a live member
// would overwrite the new offsets with its next commit, and the coordinator refuses anyway).
import type { Admin } from '../admin/admin.js';
import type { OffsetQuery } from '../admin/types.js';
import type { ResetFlags } from './commands/groups.js';
import { ExitCode } from './exit-codes.js';
import { CliError, usage } from './fail.js';
import { isShareGroup } from './share-kind.js';

type Target =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'offset'; offset: number }
  | { kind: 'time'; ms: number };

function target(flags: ResetFlags): Target {
  const given = [
    flags.toEarliest && ({ kind: 'earliest' } as Target),
    flags.toLatest && ({ kind: 'latest' } as Target),
    flags.toOffset !== undefined &&
      (() => {
        if (!/^\d+$/.test(flags.toOffset!)) throw usage(`--to-offset must be a whole number, got "${flags.toOffset}"`);
        return { kind: 'offset', offset: Number(flags.toOffset) } as Target;
      })(),
    flags.toTimestamp !== undefined &&
      (() => {
        const t = flags.toTimestamp!;
        const ms = /^\d+$/.test(t) ? Number(t) : Date.parse(t);
        if (!Number.isSafeInteger(ms) || ms < 0)
          throw usage(`--to-timestamp must be ms since the epoch or an ISO date, got "${t}"`);
        return { kind: 'time', ms } as Target;
      })(),
  ].filter(Boolean) as Target[];
  if (given.length !== 1)
    throw usage('give exactly one of --to-earliest, --to-latest, --to-offset <n>, --to-timestamp <time>');
  return given[0]!;
}

interface Row {
  topic: string;
  partition: number;
  current: number | null;
  next: number;
}

export async function resetOffsets(admin: Admin, group: string, flags: ResetFlags): Promise<number> {
  const to = target(flags);
  if (!flags.topic?.length && !flags.allTopics) throw usage('name the topics: -t <topic>[:partitions] or --all-topics');
  if (flags.topic?.length && flags.allTopics) throw usage('-t and --all-topics exclude each other');

  // A share group (KIP-932) has no committed offsets: its share-partition start offsets move instead.
  const share = await isShareGroup(admin, group);
  const committed = share
    ? (await admin.listShareGroupOffsets(group)).map((o) => ({ ...o, offset: o.startOffset }))
    : await admin.listGroupOffsets(group);
  const wanted: Array<{ topic: string; partitions?: number[] }> = flags.allTopics
    ? [...new Set(committed.map((c) => c.topic))].map((topic) => ({ topic }))
    : flags.topic!.map((spec) => {
        const [topic, parts] = spec.split(':', 2) as [string, string | undefined];
        if (!topic) throw usage(`-t expects <topic>[:p,p], got "${spec}"`);
        if (parts === undefined) return { topic };
        const partitions = parts.split(',').map((p) => {
          if (!/^\d+$/.test(p)) throw usage(`-t ${spec}: "${p}" is not a partition number`);
          return Number(p);
        });
        return { topic, partitions };
      });
  if (wanted.length === 0)
    throw new CliError(
      `group ${group} has no ${share ? 'start' : 'committed'} offsets (name the topics with -t)`,
      ExitCode.NOT_FOUND,
      'CLI_NOT_FOUND',
    );

  const descs = await admin.describeTopics(wanted.map((w) => w.topic));
  const tps: Array<{ topic: string; partition: number }> = [];
  for (const w of wanted) {
    const all = descs.find((d) => d.topic === w.topic)!.partitions.map((p) => p.partition);
    for (const p of w.partitions ?? all) {
      if (!all.includes(p))
        throw new CliError(`topic ${w.topic} has no partition ${p}`, ExitCode.NOT_FOUND, 'CLI_NOT_FOUND');
      tps.push({ topic: w.topic, partition: p });
    }
  }
  tps.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);

  const q = (at: OffsetQuery['at']) => admin.listOffsets(tps.map((tp) => ({ ...tp, at })));
  const key = (t: string, p: number) => `${t}\0${p}`;
  const [low, high, byTime] = await Promise.all([
    q('earliest'),
    q('latest'),
    to.kind === 'time' ? q(to.ms) : Promise.resolve([]),
  ]);
  const lo = new Map(low.map((o) => [key(o.topic, o.partition), o.offset]));
  const hi = new Map(high.map((o) => [key(o.topic, o.partition), o.offset]));
  const at = new Map(byTime.map((o) => [key(o.topic, o.partition), o.offset]));
  const cur = new Map(committed.map((c) => [key(c.topic, c.partition), c.offset]));
  const rows: Row[] = tps.map(({ topic, partition }) => {
    const k = key(topic, partition);
    const l = lo.get(k) ?? 0;
    const h = hi.get(k) ?? 0;
    let next: number;
    if (to.kind === 'earliest') next = l;
    else if (to.kind === 'latest') next = h;
    else if (to.kind === 'offset') next = Math.min(Math.max(to.offset, l), h);
    else {
      const o = at.get(k) ?? -1;
      next = o < 0 ? h : o;
    }
    return { topic, partition, current: cur.get(k) ?? null, next };
  });

  if (flags.execute) {
    const describe = share ? admin.describeShareGroups([group]) : admin.describeGroups([group]);
    const [desc] = await describe.catch((err: { code?: string }) => {
      if (err.code === 'GROUP_ID_NOT_FOUND') return [undefined];
      throw err;
    });
    if (desc && desc.members.length > 0)
      throw new CliError(
        `group ${group} has ${desc.members.length} active member(s) (${desc.state}): stop its consumers before resetting offsets`,
        ExitCode.FAILURE,
        'CLI_GROUP_ACTIVE',
      );
    const offsets = rows.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.next }));
    if (share) await admin.alterShareGroupOffsets(group, offsets);
    else await admin.alterGroupOffsets(group, offsets);
  }
  if (flags.json) {
    const type = share ? 'share' : 'consumer';
    process.stdout.write(`${JSON.stringify({ group, type, executed: Boolean(flags.execute), partitions: rows })}\n`);
  } else {
    let out = 'TOPIC\tPARTITION\tCURRENT\tNEW\n';
    for (const r of rows) out += `${r.topic}\t${r.partition}\t${r.current ?? '-'}\t${r.next}\n`;
    process.stdout.write(out);
    process.stderr.write(
      flags.execute
        ? `% Reset ${rows.length} partition(s) of group ${group}\n`
        : '% Dry run: nothing changed. Add --execute to apply.\n',
    );
  }
  return 0;
}
