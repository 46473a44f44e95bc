// Burrow-style consumer status (LinkedIn Burrow's "consumer lag evaluation rules"), evaluated over a
// sliding window of offset samples taken by `sluice lag`. Pure: no I/O, no clock; the caller samples.
//
// Burrow reads commit timestamps from __consumer_offsets and tells a stopped consumer (no commits
// arriving) from a stalled one (commits arriving, offset not moving) by how long ago the last commit
// was. OffsetFetch gives no commit time, so we tell them apart by what DescribeGroups does give: a
// partition nobody owns is STOP, one with an owner is STALL. The rules, in order (first match wins):
//
//   1. ERR   between two samples the committed offset went backwards or disappeared, or the log
//            end offset went backwards (a reset, a rewind, deleted offsets, a recreated topic: lag
//            figures over the window mean nothing); or the latest sample has no committed offset,
//            the log has records (logEndOffset > 0) and nobody owns the partition (missing).
//   2. —     fewer than 2 samples: not evaluated (status null); one sample says nothing about motion.
//   3. OK    lag was 0 in some sample of the window (the consumer caught up at least once), or the
//            latest sample has no commit and an empty log.
//   4.       no commit in the latest sample, but an owner (a consumer that started at the log end
//            commits only once it has processed a record): STALL if the log end grew over the
//            window (records arrive, nothing is committed), else OK.
//   5. STOP  the committed offset did not change over the window, lag > 0 throughout, and nobody owns
//            the partition in the latest sample: no consumer is working on it.
//   6. STALL same, but a member owns the partition: it is assigned and not making progress.
//   7. WARN  the committed offset moved, but lag never decreased from one sample to the next: the
//            consumer works but does not keep up.
//   8. OK    otherwise (the committed offset moved and lag went down at least once).
//
// A group's status is its worst partition's (OK < WARN < STALL < STOP < ERR); null while no partition
// could be evaluated.
import { ConfigError } from '../errors.js';

export const STATUSES = ['OK', 'WARN', 'STALL', 'STOP', 'ERR'] as const;
export type LagStatus = (typeof STATUSES)[number];

/** One observation of one partition of a group. */
export interface OffsetSample {
  /** When the sample was taken (ms since the epoch). Kept for output; the rules count samples, not time. */
  time: number;
  /** The group's committed offset, null without one. */
  committedOffset: number | null;
  logEndOffset: number;
  /** Who owned the partition at that time (client id / host), null when no member did. */
  owner: string | null;
}

export interface PartitionVerdict {
  /** null: not evaluated (fewer than 2 samples). */
  status: LagStatus | null;
  /** Which rule decided, in words (for the table and --json). */
  reason: string;
}

/** lag = logEndOffset − committedOffset, never negative; null without a committed offset. */
export function sampleLag(s: OffsetSample): number | null {
  return s.committedOffset === null ? null : Math.max(0, s.logEndOffset - s.committedOffset);
}

/** Applies the rules above to one partition's samples, oldest first. */
export function evaluatePartition(samples: readonly OffsetSample[]): PartitionVerdict {
  const last = samples[samples.length - 1];
  if (!last) return { status: null, reason: 'no samples' };
  if (last.committedOffset === null && last.logEndOffset > 0 && last.owner === null) {
    return { status: 'ERR', reason: 'no committed offset and no owner' };
  }
  for (let i = 1; i < samples.length; i++) {
    const prev = samples[i - 1]!;
    const cur = samples[i]!;
    if (prev.committedOffset !== null && (cur.committedOffset === null || cur.committedOffset < prev.committedOffset)) {
      return { status: 'ERR', reason: 'committed offset went backwards' };
    }
    if (cur.logEndOffset < prev.logEndOffset) return { status: 'ERR', reason: 'log end offset went backwards' };
  }
  if (samples.length < 2) return { status: null, reason: 'one sample: status needs at least 2' };
  if (last.committedOffset === null) {
    if (last.logEndOffset === 0) return { status: 'OK', reason: 'empty partition, nothing to commit' };
    return last.logEndOffset > samples[0]!.logEndOffset
      ? { status: 'STALL', reason: 'owned, records arriving, nothing committed' }
      : { status: 'OK', reason: 'owned, no commit yet, no new records' };
  }

  const lags = samples.map(sampleLag);
  if (lags.some((l) => l === 0)) return { status: 'OK', reason: 'caught up within the window' };
  // From here every sample with a commit has lag > 0; samples before the first commit count as
  // "not moved yet" only if the committed offset is the same at both ends.
  const first = samples[0]!;
  if (first.committedOffset === last.committedOffset) {
    return last.owner === null
      ? { status: 'STOP', reason: 'committed offset not moving, lag > 0, no owner' }
      : { status: 'STALL', reason: 'committed offset not moving, lag > 0, owned' };
  }
  let decreased = false;
  for (let i = 1; i < lags.length; i++) {
    const prev = lags[i - 1];
    const cur = lags[i];
    if (prev !== null && prev !== undefined && cur !== null && cur !== undefined && cur < prev) decreased = true;
  }
  if (!decreased) return { status: 'WARN', reason: 'committing, but lag not decreasing' };
  return { status: 'OK', reason: 'committing and lag decreasing' };
}

/** The worst of several statuses (null entries ignored; null when none is evaluated). */
export function worstStatus(statuses: Iterable<LagStatus | null>): LagStatus | null {
  let worst = -1;
  for (const s of statuses) if (s !== null) worst = Math.max(worst, STATUSES.indexOf(s));
  return worst < 0 ? null : STATUSES[worst]!;
}

/**
 * A sliding window of samples per partition: keeps the last `size` samples of each, and forgets a
 * partition absent from the latest round (no longer reported for the group).
 */
export class SampleWindow {
  private readonly byPartition = new Map<string, OffsetSample[]>();

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new ConfigError('window', `must be a positive integer, got ${size}`);
  }

  /** Adds one round of samples, keyed by partition (e.g. `topic:partition`). */
  add(round: ReadonlyMap<string, OffsetSample>): void {
    for (const key of [...this.byPartition.keys()]) if (!round.has(key)) this.byPartition.delete(key);
    for (const [key, sample] of round) {
      const list = this.byPartition.get(key) ?? [];
      list.push(sample);
      if (list.length > this.size) list.splice(0, list.length - this.size);
      this.byPartition.set(key, list);
    }
  }

  samples(key: string): readonly OffsetSample[] {
    return this.byPartition.get(key) ?? [];
  }
}

/** A group member as the owner column names it: `clientId/host`. */
export interface OwningMember {
  clientId: string;
  clientHost: string;
  assignment: readonly { topic: string; partition: number }[];
}

/** The host a member connected from, without the leading `/` brokers report. */
export function memberHost(m: Pick<OwningMember, 'clientHost'>): string {
  return m.clientHost.replace(/^\//, '');
}

/**
 * Each assigned partition's owner by `topic:partition`: the member assigned it (`clientId/host`), or
 * `N members` when several share it (a share group's partitions usually are).
 */
export function partitionOwners(members: readonly OwningMember[]): Map<string, string> {
  const byPartition = new Map<string, string[]>();
  for (const m of members) {
    const who = `${m.clientId}/${memberHost(m)}`;
    for (const tp of m.assignment) {
      const key = `${tp.topic}:${tp.partition}`;
      byPartition.set(key, [...(byPartition.get(key) ?? []), who]);
    }
  }
  return new Map([...byPartition].map(([key, list]) => [key, list.length === 1 ? list[0]! : `${list.length} members`]));
}

/** One partition of a group as `sluice lag` and the dashboard show it. */
export interface LagRow {
  topic: string;
  partition: number;
  /** Share groups: null (see startOffset). */
  committedOffset: number | null;
  /** Share groups only: the share-partition start offset (null: no state for the partition yet). */
  startOffset?: number | null;
  logEndOffset: number;
  /** Share groups: the records not yet done, as the broker counts them (docs/admin.md "Share groups"). */
  lag: number | null;
  /** `clientId/host` of the owning member. Share groups: of the one member assigned it, or `N members`. */
  owner: string | null;
  status: LagStatus | null;
  reason: string;
}

interface RoundPartition {
  topic: string;
  partition: number;
  logEndOffset: number;
  lag: number | null;
}

/** Adds a consumer group's round to its window and judges each partition (position: the committed offset). */
export function consumerGroupRows(
  window: SampleWindow,
  time: number,
  partitions: readonly (RoundPartition & { committedOffset: number | null })[],
  members: readonly OwningMember[],
): LagRow[] {
  return judgeRound(window, time, partitions, (p) => p.committedOffset, members).map(
    ({ partition: p, owner, verdict }) => ({
      topic: p.topic,
      partition: p.partition,
      committedOffset: p.committedOffset,
      logEndOffset: p.logEndOffset,
      lag: p.lag,
      owner,
      ...verdict,
    }),
  );
}

/**
 * Adds a share group's round to its window and judges each partition. Its records are done one by one,
 * not up to a committed offset, so the rules are fed a position of end − lag (the broker's count of
 * records not yet done): it moves forward as records are accepted or rejected, and never back unless
 * the start offsets are reset.
 */
export function shareGroupRows(
  window: SampleWindow,
  time: number,
  partitions: readonly (RoundPartition & { startOffset: number | null })[],
  members: readonly OwningMember[],
): LagRow[] {
  const position = (p: RoundPartition) => (p.lag === null ? null : p.logEndOffset - p.lag);
  return judgeRound(window, time, partitions, position, members).map(({ partition: p, owner, verdict }) => ({
    topic: p.topic,
    partition: p.partition,
    committedOffset: null,
    startOffset: p.startOffset,
    logEndOffset: p.logEndOffset,
    lag: p.lag,
    owner,
    ...verdict,
  }));
}

/** Adds one round to `window` and judges each partition on its samples; `position(p)` is where the group is. */
function judgeRound<P extends RoundPartition>(
  window: SampleWindow,
  time: number,
  partitions: readonly P[],
  position: (p: P) => number | null,
  members: readonly OwningMember[],
): { partition: P; owner: string | null; verdict: PartitionVerdict }[] {
  const owners = partitionOwners(members);
  const key = (p: P) => `${p.topic}:${p.partition}`;
  const round = new Map<string, OffsetSample>();
  for (const p of partitions) {
    round.set(key(p), {
      time,
      committedOffset: position(p),
      logEndOffset: p.logEndOffset,
      owner: owners.get(key(p)) ?? null,
    });
  }
  window.add(round);
  return partitions.map((p) => ({
    partition: p,
    owner: owners.get(key(p)) ?? null,
    verdict: evaluatePartition(window.samples(key(p))),
  }));
}
