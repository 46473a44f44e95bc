import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Admin } from '../../src/admin/admin.js';
import type { GroupDescription } from '../../src/admin/types.js';
import { type KafkaInfo, runJava, sharedKafka, uniqueName } from '../kafka/index.js';

let kafka: KafkaInfo;
let admin: Admin;
let dir: string;

before(async () => {
  kafka = await sharedKafka();
  admin = new Admin({ brokers: kafka.bootstrap });
  dir = mkdtempSync(path.join(tmpdir(), 'sluice-admin-'));
});
after(() => {
  admin.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs Kafka's Java consumer as the only member of a group (for at most 60 s), waits until describeGroups
 * shows it owning every partition, hands the description to `check`, then stops the member.
 */
async function withJavaMember(
  protocol: 'classic' | 'consumer',
  check: (group: GroupDescription, topic: string, groupId: string) => Promise<void>,
) {
  const topic = uniqueName(`grp-${protocol}`);
  const groupId = uniqueName(`g-${protocol}`);
  const stopFile = path.join(dir, `${groupId}.stop`);
  await admin.createTopics([{ topic, numPartitions: 3 }]);
  const member = runJava({
    source: 'test/admin/java/GroupMember.java',
    args: [kafka.bootstrap, groupId, topic, protocol, '60', stopFile],
    timeoutMs: 90_000,
  });
  let failed: unknown;
  member.catch((err) => (failed = err));
  try {
    let group: GroupDescription | undefined;
    const deadline = Date.now() + 45_000;
    while (Date.now() < deadline && failed === undefined) {
      group = (await admin.describeGroups(groupId).catch(() => []))[0];
      if (group?.state === 'Stable' && group.members[0]?.assignment.length === 3) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    if (failed) throw failed;
    assert.ok(group, 'the group was described');
    await check(group, topic, groupId);
  } finally {
    writeFileSync(stopFile, 'stop');
    const out = await member;
    assert.match(out.stdout, /assigned 3/);
  }
  // Left the group: empty, and deletable.
  const deadline = Date.now() + 20_000;
  while ((await admin.describeGroups(groupId))[0]!.members.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
  }
  await admin.deleteGroups(groupId);
  await admin.deleteTopics(topic);
}

test('describeGroups / listGroups: a classic group of Kafka’s Java consumer, assignment decoded', async () => {
  await withJavaMember('classic', async (group, topic, groupId) => {
    assert.equal(group.type, 'classic');
    assert.equal(group.protocolType, 'consumer');
    assert.ok(['range', 'cooperative-sticky', 'uniform'].includes(group.assignor), group.assignor);
    assert.equal(group.coordinator, kafka.brokers[0]!.nodeId);
    const [m] = group.members;
    assert.equal(m!.clientId, 'java-member');
    assert.deepEqual(
      m!.assignment,
      [0, 1, 2].map((partition) => ({ topic, partition })),
    );
    assert.deepEqual(m!.subscribedTopics, [topic]);
    const classic = await admin.listGroups({ types: ['classic'] });
    assert.ok(classic.some((g) => g.groupId === groupId && g.type === 'classic' && g.protocolType === 'consumer'));
    const consumer = await admin.listGroups({ types: ['consumer'] });
    assert.ok(!consumer.some((g) => g.groupId === groupId));
    const stable = await admin.listGroups({ states: ['Stable'] });
    assert.ok(stable.some((g) => g.groupId === groupId));
    await assert.rejects(admin.deleteGroups(groupId), { code: 'NON_EMPTY_GROUP' });
  });
});

test('describeGroups / listGroups: a KIP-848 consumer group of Kafka’s Java consumer', async () => {
  await withJavaMember('consumer', async (group, topic, groupId) => {
    assert.equal(group.type, 'consumer');
    assert.ok(group.groupEpoch > 0);
    assert.ok(['uniform', 'range'].includes(group.assignor), group.assignor);
    const [m] = group.members;
    assert.equal(m!.clientId, 'java-member');
    assert.deepEqual(
      m!.assignment,
      [0, 1, 2].map((partition) => ({ topic, partition })),
    );
    assert.deepEqual(m!.targetAssignment, m!.assignment);
    assert.deepEqual(m!.subscribedTopics, [topic]);
    assert.ok((m!.memberEpoch ?? 0) > 0);
    const consumer = await admin.listGroups({ types: ['consumer'] });
    assert.ok(consumer.some((g) => g.groupId === groupId && g.type === 'consumer'));
    const classic = await admin.listGroups({ types: ['classic'] });
    assert.ok(!classic.some((g) => g.groupId === groupId));
  });
});
