// The body of `sluice consume`, loaded only when the command runs (it pulls in the client).
import { Admin } from '../admin/admin.js';
import { Consumer } from '../consumer/consumer.js';
import type { ConsumerRecord } from '../consumer/record.js';
import type { TopicPartition } from '../consumer/topic-partition.js';
import type { ConsumeFlags } from './commands/consume.js';
import { type ConnectionFlags, clientOptions } from './connection.js';
import { type DecoderName, decodeBytes, decodeForJson } from './decoders.js';
import { ExitCode } from './exit-codes.js';
import { CliError, usage } from './fail.js';
import { compileFormat, type Formatter, jsonFormatter } from './format.js';
import type { OffsetSpec } from './offset-spec.js';
import { flushOut, stdoutClosed, whenStdoutClosed, writeOut } from './output.js';

/** How long a partition whose fetch position passed its end may go without a record before it counts as at its end. */
const EOF_QUIET_MS = 300;

function parseCount(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) throw usage(`-c must be a positive whole number, got "${text}"`);
  return Number(text);
}

function parsePartitions(list: string[] | undefined): number[] | undefined {
  if (!list) return undefined;
  const out = list
    .flatMap((s) => s.split(','))
    .map((s) => {
      if (!/^\d+$/.test(s.trim())) throw usage(`-p must be a partition number, got "${s}"`);
      return Number(s);
    });
  return [...new Set(out)].sort((a, b) => a - b);
}

interface Plan {
  /** Where each partition starts, or undefined to use the group's committed offset / autoOffsetReset. */
  start: Map<number, number | undefined>;
  /** Log end offsets when we started: -e stops there. */
  end: Map<number, number>;
}

async function plan(
  admin: Admin,
  topic: string,
  partitions: number[],
  spec: OffsetSpec | undefined,
  group: string | undefined,
): Promise<Plan> {
  const tps = partitions.map((partition) => ({ topic, partition }));
  const [earliest, latest] = await Promise.all([
    admin.listOffsets(tps.map((p) => ({ ...p, at: 'earliest' as const }))),
    admin.listOffsets(tps.map((p) => ({ ...p, at: 'latest' as const }))),
  ]);
  const low = new Map(earliest.map((o) => [o.partition, o.offset]));
  const end = new Map(latest.map((o) => [o.partition, o.offset]));
  const start = new Map<number, number | undefined>();
  let stored: Map<number, number> | undefined;
  if (spec?.kind === 'stored' || (spec === undefined && group)) {
    if (!group) throw usage('-o stored needs a group (-g)');
    stored = new Map((await admin.listGroupOffsets(group, tps)).map((o) => [o.partition, o.offset]));
  }
  let byTime: Map<number, number> | undefined;
  if (spec?.kind === 'timestamp') {
    const found = await admin.listOffsets(tps.map((p) => ({ ...p, at: spec.timestamp })));
    byTime = new Map(found.map((o) => [o.partition, o.offset]));
  }
  for (const p of partitions) {
    const lo = low.get(p) ?? 0;
    const hi = end.get(p) ?? 0;
    let s: number | undefined;
    switch (spec?.kind) {
      case undefined:
        // kcat's default without a group is the end; with a group, the committed offset (else the end).
        s = stored?.get(p) ?? hi;
        break;
      case 'stored':
        s = stored?.get(p) ?? hi;
        break;
      case 'beginning':
        s = lo;
        break;
      case 'end':
        s = hi;
        break;
      case 'absolute':
        s = Math.min(Math.max(spec.offset, lo), hi);
        break;
      case 'tail':
        s = Math.max(hi - spec.count, lo);
        break;
      case 'timestamp': {
        const o = byTime?.get(p) ?? -1;
        s = o < 0 ? hi : o;
        break;
      }
    }
    start.set(p, s);
  }
  return { start, end };
}

/** Runs the consume command; resolves with the exit code. */
export async function consume(
  flags: ConsumeFlags & ConnectionFlags,
  spec: OffsetSpec | undefined,
  format: Formatter | undefined,
): Promise<number> {
  const client = clientOptions(flags);
  const count = parseCount(flags.count);
  const only = parsePartitions(flags.partition);
  const topic = flags.topic;
  const keyDec = flags.keyDecoder as DecoderName;
  const valDec = flags.valueDecoder as DecoderName;
  let fmt: Formatter;
  if (flags.json) {
    const kd = decodeForJson(keyDec);
    const vd = decodeForJson(valDec);
    const base = jsonFormatter((b) => b);
    fmt = (r) => {
      const obj = JSON.parse(base({ ...r, key: null, value: null }).toString()) as Record<string, unknown>;
      obj.key = kd(r.key);
      obj.payload = vd(r.value);
      return Buffer.from(`${JSON.stringify(obj)}\n`);
    };
  } else {
    const f = format ?? compileFormat('%s\\n');
    const kd = decodeBytes(keyDec);
    const vd = decodeBytes(valDec);
    fmt = keyDec === 'raw' && valDec === 'raw' ? f : (r) => f({ ...r, key: kd(r.key), value: vd(r.value) });
  }
  if (flags.shareGroup !== undefined) {
    const { consumeShare } = await import('./share-consume.js');
    return consumeShare(flags, count, fmt);
  }

  const admin = new Admin(client);
  let consumer: Consumer | undefined;
  const ac = new AbortController();
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    ac.abort();
    void consumer?.close().catch(() => {});
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const [desc] = await admin.describeTopics([topic]);
    const all = desc!.partitions.map((p) => p.partition).sort((a, b) => a - b);
    if (only) {
      const missing = only.filter((p) => !all.includes(p));
      if (missing.length)
        throw new CliError(
          `topic ${topic} has no partition ${missing.join(', ')} (it has ${all.length})`,
          ExitCode.NOT_FOUND,
          'CLI_NOT_FOUND',
        );
    }
    const partitions = only ?? all;
    const manual = only !== undefined || !flags.group;
    const { start, end } = await plan(
      admin,
      topic,
      partitions,
      !manual && spec?.kind === 'stored' ? undefined : spec,
      manual ? flags.group : undefined,
    );

    consumer = new Consumer({
      ...client,
      ...(flags.group ? { groupId: flags.group } : {}),
      autoOffsetReset: spec?.kind === 'beginning' ? 'earliest' : 'latest',
      autoCommit: Boolean(flags.group),
    });
    const c = consumer;
    // Per partition: the next offset we expect to print, and when we last printed one.
    const next = new Map<number, number>();
    const lastSeen = new Map<number, number>();
    const reachedEnd = new Set<number>();
    const atEndSince = new Map<number, number>();
    let printed = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      setImmediate(() => void c.close().catch(() => {}));
    };
    // The reader went away while we waited for it (or between records): nothing more to do.
    whenStdoutClosed(finish);
    const markEnd = (p: number, at: number) => {
      if (reachedEnd.has(p)) return;
      reachedEnd.add(p);
      const assigned = c.assignment();
      const last = flags.exit === true && assigned.length > 0 && assigned.every((tp) => reachedEnd.has(tp.partition));
      // kcat's wording, so scripts written for it keep working.
      if (!flags.quiet)
        process.stderr.write(`% Reached end of topic ${topic} [${p}] at offset ${at}${last ? ': exiting' : ''}\n`);
      if (last) finish();
    };
    // Manual assignment always starts where the plan says; a group member only when -o was given
    // (otherwise at the group's committed offsets).
    const seeks = manual || (spec !== undefined && spec.kind !== 'stored');
    const seekAll = (tps: readonly TopicPartition[]) => {
      for (const tp of tps) {
        const s = start.get(tp.partition);
        if (!seeks || s === undefined) continue;
        c.seek({ topic, partition: tp.partition, offset: s });
        next.set(tp.partition, s);
      }
    };
    let seeked = !manual; // group mode seeks in the rebalance listener, before fetching starts
    if (manual) c.assign(partitions.map((partition) => ({ topic, partition })));
    else
      c.subscribe(topic, {
        onPartitionsAssigned: (tps) => {
          // -o applies to a partition the first time this process gets it, not after every rebalance.
          seekAll(tps.filter((tp) => !next.has(tp.partition)));
        },
        onPartitionsRevoked: (tps) => {
          for (const tp of tps) reachedEnd.delete(tp.partition);
        },
      });

    // -e: a partition is at its end once the record before its end offset was printed, or, when
    // its last offsets hold no records (transaction markers), once its fetch position passed the
    // end and nothing came for a moment.
    const eofTimer = setInterval(() => {
      if (!seeked) {
        if (c.assignment().length === partitions.length) {
          seekAll(c.assignment());
          seeked = true;
        } else return;
      }
      const now = Date.now();
      for (const tp of c.assignment()) {
        const p = tp.partition;
        const e = end.get(p) ?? 0;
        const n = next.get(p);
        if (n !== undefined && n >= e) markEnd(p, n);
        else {
          let pos = -1;
          try {
            pos = c.position(topic, p);
          } catch {}
          if (pos < e) atEndSince.delete(p);
          else if (!atEndSince.has(p)) atEndSince.set(p, now);
          const since = atEndSince.get(p);
          if (since !== undefined && now - since > EOF_QUIET_MS && now - (lastSeen.get(p) ?? 0) > EOF_QUIET_MS)
            markEnd(p, Math.max(pos, e));
        }
      }
    }, 25);
    try {
      await c.run({
        signal: ac.signal,
        eachMessage: async (r: ConsumerRecord, ctx) => {
          // Past -c (or after -e finished), records still delivered before close() must not count
          // as processed: with -g, close() commits what was processed, and these were not printed.
          if (done) return ctx.retryAfter(60_000);
          // Records delivered before the seek (from autoOffsetReset) are not the ones asked for.
          if (!seeked) return;
          const want = next.get(r.partition);
          if (seeks && want !== undefined && r.offset < want) return;
          await writeOut(fmt(r));
          if (stdoutClosed()) {
            // Nobody reads any more: this record was not shown, so it does not count.
            finish();
            return ctx.retryAfter(60_000);
          }
          printed++;
          next.set(r.partition, r.offset + 1);
          lastSeen.set(r.partition, Date.now());
          if (count !== undefined && printed >= count) finish();
        },
      });
    } finally {
      clearInterval(eofTimer);
      await flushOut();
    }
    return interrupted && !done ? ExitCode.INTERRUPTED : ExitCode.OK;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    admin.close();
    await consumer?.close().catch(() => {});
  }
}
