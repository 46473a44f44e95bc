// KIP-429 against the real broker: when a member joins a cooperative-sticky group, the partitions the
// existing member keeps are never revoked and keep being processed through the whole rebalance.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { testEnv } from '../helpers/env.js';
import { uniqueName } from '../kafka/index.js';
import { Member, now, readLog } from './fixtures/children.js';
import type { MemberConfig } from './fixtures/member.js';

const PARTITIONS = 12;
const PER_PARTITION = 10_000;

const env = testEnv('sluice-coop-');

test('cooperative-sticky: a join revokes only the partitions that move; the kept ones never stop', {
  timeout: 120000,
}, async () => {
  const topic = uniqueName('coop');
  const groupId = uniqueName('g');
  await env.producer.createTopic(topic, PARTITIONS);
  await env.producer.fillGenerated(topic, PARTITIONS, PER_PARTITION, (p, i) => ({ value: `${p}-${i}` }), {
    batch: 2000,
  });
  const cfg = (name: string): MemberConfig => ({
    bootstrap: env.kafka.bootstrap,
    groupId,
    topic,
    log: path.join(env.dir, `${groupId}-${name}.jsonl`),
    // Cooperative alone (the default also lists range, which makes the group eager).
    options: { assignors: ['cooperative-sticky'] },
    // Every partition in parallel, each throttled to roughly 1000 records/s: a steady stream per
    // partition, with a backlog that outlasts the test.
    concurrency: PARTITIONS,
    pauseEvery: 10,
    pauseMs: 10,
  });
  const a = new Member('a', cfg('a'));
  let b: Member | undefined;
  try {
    await a.until('a owns every partition', () => a.owned().size === PARTITIONS);
    await a.until('a is processing', () => a.processed > 5000);
    b = new Member('b', cfg('b'));
    const bm = b;
    await bm.until('b assigned', () => bm.owned().size > 0);
    await bm.until('b is processing', () => bm.processed > 1000);
    const stopAt = now();
    await Promise.all([a.close(), bm.close()]);

    const aLog = readLog(a.cfg.log);
    const bLog = readLog(bm.cfg.log);
    const bStart = bLog.find((e) => e.ev === 'start')!.t;
    // b's first rebalance hands it nothing (KIP-429: the moving partitions are revoked from a first);
    // its listener hears of that (as in Java), and the follow-up gives it its partitions.
    const bAssigned = bLog.find((e) => e.ev === 'assigned' && (e.ps as number[]).length > 0)!;
    const moved = new Set(bAssigned.ps as number[]);
    const kept = Array.from({ length: PARTITIONS }, (_, p) => p).filter((p) => !moved.has(p));
    const revokes = aLog.filter((e) => e.ev === 'revoked' && e.t < stopAt);
    const lost = aLog.filter((e) => e.ev === 'lost');

    assert.equal(moved.size, PARTITIONS / 2, 'b gets half of the partitions');
    assert.deepEqual(lost, [], 'nothing lost');
    assert.equal(revokes.length, 1, 'one revocation: the partitions that move');
    assert.deepEqual(
      [...(revokes[0]!.ps as number[])].sort((x, y) => x - y),
      [...moved].sort((x, y) => x - y),
      'a revoked exactly what b got, none of its kept partitions',
    );
    const aRevokedAt = revokes[0]!.t;
    assert.ok(bStart < aRevokedAt && aRevokedAt < bAssigned.t, 'a revoked between b starting and b’s assignment');

    // The rebalance window: from b starting (its JoinGroup) to b's first assignment. Each kept
    // partition is processed inside it, even between a's revocation and b's assignment (the
    // follow-up rebalance, KIP-429), and its timeline has no gap beyond the normal cadence.
    const records = aLog.filter((e) => e.ev === 'r');
    const report: string[] = [];
    let duringFollowUp = 0;
    for (const p of kept) {
      const times = records.filter((r) => r.p === p).map((r) => r.t);
      const inWindow = times.filter((t) => t >= bStart && t <= bAssigned.t);
      assert.ok(inWindow.length > 0, `partition ${p} processed during the rebalance`);
      duringFollowUp += times.filter((t) => t >= aRevokedAt && t <= bAssigned.t).length;
      const around = times.filter((t) => t >= bStart - 1000 && t <= bAssigned.t + 1000);
      let maxGap = 0;
      for (let i = 1; i < around.length; i++) maxGap = Math.max(maxGap, around[i]! - around[i - 1]!);
      report.push(`${p}:${maxGap.toFixed(0)}ms`);
      assert.ok(maxGap < 1000, `partition ${p}: a ${maxGap.toFixed(0)} ms gap in processing around the rebalance`);
    }
    assert.ok(duringFollowUp > 0, 'kept partitions were processed between the revocation and the new assignment');
    console.log(
      `# rebalance window ${(bAssigned.t - bStart).toFixed(0)} ms (a revoked at +${(aRevokedAt - bStart).toFixed(0)} ms); ` +
        `${duringFollowUp} kept-partition records processed during the follow-up rebalance; max gap per kept partition ${report.join(' ')}`,
    );
  } finally {
    await Promise.all([a.destroy(), b?.destroy()]);
  }
});
