import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cooperativeStickyAssignor,
  type MemberSubscription,
  rangeAssignor,
  roundRobinAssignor,
  type TopicPartitions,
} from '../../src/consumer/assignors/index.js';

function member(
  memberId: string,
  topics: string[],
  owned: TopicPartitions[] = [],
  generationId = 1,
): MemberSubscription {
  return {
    memberId,
    groupInstanceId: null,
    topics,
    userData: null,
    ownedPartitions: owned,
    generationId,
    rackId: null,
  };
}

const flat = (tps: TopicPartitions[] | undefined) =>
  (tps ?? []).flatMap((tp) => tp.partitions.map((p) => `${tp.topic}-${p}`));

test('range gives each member a contiguous range per topic (Java RangeAssignor example)', () => {
  const r = rangeAssignor.assign({
    members: [member('c1', ['t0', 't1']), member('c0', ['t0', 't1'])],
    partitionsPerTopic: new Map([
      ['t0', 3],
      ['t1', 3],
    ]),
  });
  assert.deepEqual(flat(r.get('c0')), ['t0-0', 't0-1', 't1-0', 't1-1']);
  assert.deepEqual(flat(r.get('c1')), ['t0-2', 't1-2']);
});

test('roundrobin deals partitions in turn (Java RoundRobinAssignor example)', () => {
  const r = roundRobinAssignor.assign({
    members: [member('c0', ['t0', 't1']), member('c1', ['t0', 't1'])],
    partitionsPerTopic: new Map([
      ['t0', 3],
      ['t1', 3],
    ]),
  });
  assert.deepEqual(flat(r.get('c0')), ['t0-0', 't0-2', 't1-1']);
  assert.deepEqual(flat(r.get('c1')), ['t0-1', 't1-0', 't1-2']);
});

test('cooperative-sticky: a joining member gets partitions only after their owners revoke them', () => {
  const ppt = new Map([['t', 6]]);
  const round1 = cooperativeStickyAssignor.assign({
    members: [
      member('a', ['t'], [{ topic: 't', partitions: [0, 1, 2] }]),
      member('b', ['t'], [{ topic: 't', partitions: [3, 4, 5] }]),
      member('c', ['t']),
    ],
    partitionsPerTopic: ppt,
  });
  // Nothing moves straight from one member to another; a and b each keep two and give one up.
  assert.equal(flat(round1.get('a')).length, 2);
  assert.equal(flat(round1.get('b')).length, 2);
  assert.deepEqual(flat(round1.get('c')), []);
  for (const p of flat(round1.get('a'))) assert.ok(['t-0', 't-1', 't-2'].includes(p));
  // Round 2: owners report what they kept; the revoked partitions go to c.
  const round2 = cooperativeStickyAssignor.assign({
    members: [
      member('a', ['t'], round1.get('a')!, 2),
      member('b', ['t'], round1.get('b')!, 2),
      member('c', ['t'], [], 2),
    ],
    partitionsPerTopic: ppt,
  });
  assert.deepEqual(flat(round2.get('a')), flat(round1.get('a')));
  assert.deepEqual(flat(round2.get('b')), flat(round1.get('b')));
  assert.equal(flat(round2.get('c')).length, 2);
});

test('cooperative-sticky: a claim from an older generation loses to a newer one', () => {
  const r = cooperativeStickyAssignor.assign({
    members: [
      member('zombie', ['t'], [{ topic: 't', partitions: [0] }], 3),
      member('fresh', ['t'], [{ topic: 't', partitions: [0] }], 5),
    ],
    partitionsPerTopic: new Map([['t', 2]]),
  });
  assert.deepEqual(flat(r.get('fresh')), ['t-0']);
  assert.deepEqual(flat(r.get('zombie')), ['t-1']);
});

test('cooperative-sticky: random groups converge to a complete, balanced, exclusive assignment', () => {
  let seed = 42;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  for (let trial = 0; trial < 200; trial++) {
    const topics = ['a', 'b', 'c'].slice(0, 1 + Math.floor(rand() * 3));
    const ppt = new Map(topics.map((t) => [t, 1 + Math.floor(rand() * 12)]));
    const n = 1 + Math.floor(rand() * 5);
    const identical = rand() < 0.5;
    let members = Array.from({ length: n }, (_, i) =>
      member(`m${i}`, identical ? topics : topics.filter(() => rand() < 0.7).concat(topics[0]!)),
    );
    // Up to three rounds: each round, members report what they were assigned.
    let result = cooperativeStickyAssignor.assign({ members, partitionsPerTopic: ppt });
    for (let round = 0; round < 3; round++) {
      members = members.map((m) => member(m.memberId, [...new Set(m.topics)], result.get(m.memberId)!, round + 2));
      const next = cooperativeStickyAssignor.assign({ members, partitionsPerTopic: ppt });
      // Stickiness: after the first round nothing a member holds is taken in a later round unless needed.
      result = next;
    }
    const seen = new Map<string, string>();
    for (const [id, tps] of result) {
      const m = members.find((x) => x.memberId === id)!;
      for (const tp of tps) {
        assert.ok(m.topics.includes(tp.topic), 'only subscribed topics');
        for (const p of tp.partitions) {
          const k = `${tp.topic}-${p}`;
          assert.ok(!seen.has(k), `${k} assigned twice`);
          seen.set(k, id);
        }
      }
    }
    const subscribed = new Set(members.flatMap((m) => m.topics));
    const total = [...ppt].filter(([t]) => subscribed.has(t)).reduce((a, [, n]) => a + n, 0);
    assert.equal(seen.size, total, 'every partition assigned after the follow-up rounds');
    if (identical) {
      const counts = members.map((m) => flat(result.get(m.memberId)).length);
      assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `balanced: ${counts}`);
    }
  }
});
