import {
  type AssignmentContext,
  compareMembers,
  type GroupAssignment,
  type MemberSubscription,
  type SyncAssignor,
  toTopicPartitions,
} from './types.js';

type Key = string;
const keyOf = (topic: string, partition: number): Key => `${topic}\u0000${partition}`;
const split = (k: Key): [string, number] => {
  const i = k.lastIndexOf('\u0000');
  return [k.slice(0, i), Number(k.slice(i + 1))];
};

/**
 * `cooperative-sticky` (KIP-429, like Java's CooperativeStickyAssignor): a balanced assignment
 * that keeps as many partitions as possible where they are, and never hands a partition straight
 * from one member to another in the same rebalance. A moving partition is left out of this round's
 * assignment; its old owner revokes it and rejoins, and the follow-up rebalance assigns it. Members
 * that keep a partition never stop consuming it.
 */
export const cooperativeStickyAssignor: SyncAssignor = {
  name: 'cooperative-sticky',
  rebalanceProtocol: 'cooperative',
  assign(ctx: AssignmentContext): GroupAssignment {
    const members = [...ctx.members].sort(compareMembers);
    const order = new Map(members.map((m, i) => [m.memberId, i]));
    const all: Key[] = [];
    const eligible = new Map<string, MemberSubscription[]>();
    for (const topic of [...new Set(members.flatMap((m) => m.topics))].sort()) {
      const count = ctx.partitionsPerTopic.get(topic) ?? 0;
      eligible.set(
        topic,
        members.filter((m) => m.topics.includes(topic)),
      );
      for (let p = 0; p < count; p++) all.push(keyOf(topic, p));
    }
    const valid = new Set(all);

    // 1. Previous owners. Two members claiming one partition (a zombie from an older generation):
    //    the higher generation wins (KIP-792).
    const prevOwner = new Map<Key, { member: string; generation: number }>();
    for (const m of members) {
      for (const tp of m.ownedPartitions) {
        if (!m.topics.includes(tp.topic)) continue;
        for (const p of tp.partitions) {
          const k = keyOf(tp.topic, p);
          if (!valid.has(k)) continue;
          const cur = prevOwner.get(k);
          if (!cur || m.generationId > cur.generation)
            prevOwner.set(k, { member: m.memberId, generation: m.generationId });
        }
      }
    }
    const owned = new Map<string, Key[]>(members.map((m) => [m.memberId, []]));
    for (const [k, o] of prevOwner) owned.get(o.member)!.push(k);
    for (const list of owned.values()) list.sort(byPartition);

    // 2. With identical subscriptions the quotas are exact: floor(N/M), and N%M members may hold one
    //    more. Members over quota give up their highest partitions.
    const identical = members.every((m) => sameTopics(m.topics, members[0]!.topics));
    if (identical && members.length > 0) {
      const min = Math.floor(all.length / members.length);
      let maxSlots = all.length % members.length;
      const byLoad = [...members].sort((a, b) => owned.get(b.memberId)!.length - owned.get(a.memberId)!.length);
      for (const m of byLoad) {
        const list = owned.get(m.memberId)!;
        let cap = min;
        if (maxSlots > 0 && list.length > min) {
          cap = min + 1;
          maxSlots--;
        }
        if (list.length > cap) list.length = cap;
      }
    }

    // 3. Unowned partitions go to the least-loaded eligible member (ties: member order).
    const holder = new Map<Key, string>();
    for (const [id, list] of owned) for (const k of list) holder.set(k, id);
    const least = (cands: MemberSubscription[], except?: string) => {
      let best: string | undefined;
      for (const c of cands) {
        if (c.memberId === except) continue;
        if (
          best === undefined ||
          owned.get(c.memberId)!.length < owned.get(best)!.length ||
          (owned.get(c.memberId)!.length === owned.get(best)!.length && order.get(c.memberId)! < order.get(best)!)
        ) {
          best = c.memberId;
        }
      }
      return best;
    };
    for (const k of all) {
      if (holder.has(k)) continue;
      const to = least(eligible.get(split(k)[0]) ?? []);
      if (to === undefined) continue;
      owned.get(to)!.push(k);
      holder.set(k, to);
    }

    // 4. Balance (needed when subscriptions differ): move partitions from a member to an eligible one
    //    with at least two fewer, until none can move. Bounded by the partition count.
    for (let moved = true, rounds = 0; moved && rounds <= all.length; rounds++) {
      moved = false;
      const byLoad = [...members].sort((a, b) => owned.get(b.memberId)!.length - owned.get(a.memberId)!.length);
      for (const from of byLoad) {
        const list = owned.get(from.memberId)!;
        for (let i = list.length - 1; i >= 0 && !moved; i--) {
          const k = list[i]!;
          const to = least(eligible.get(split(k)[0]) ?? [], from.memberId);
          if (to !== undefined && owned.get(to)!.length + 1 < list.length) {
            list.splice(i, 1);
            owned.get(to)!.push(k);
            holder.set(k, to);
            moved = true;
          }
        }
        if (moved) break;
      }
    }

    // 5. Cooperative step: a partition changing hands is assigned to nobody this round.
    const result: GroupAssignment = new Map();
    for (const m of members) {
      const keep = owned.get(m.memberId)!.filter((k) => {
        const prev = prevOwner.get(k);
        return !prev || prev.member === m.memberId;
      });
      result.set(m.memberId, toTopicPartitions(keep.map(split)));
    }
    return result;
  },
};

function sameTopics(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((t) => s.has(t));
}

function byPartition(a: Key, b: Key): number {
  const [ta, pa] = split(a);
  const [tb, pb] = split(b);
  return ta < tb ? -1 : ta > tb ? 1 : pa - pb;
}
