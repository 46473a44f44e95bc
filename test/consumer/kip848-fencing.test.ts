// KIP-848 fencing against the real broker: a member frozen (SIGSTOP) past the broker's session timeout
// is removed; when it wakes up it must treat its partitions as lost (no revoke, no commit with the dead
// epoch), rejoin with epoch 0, and the group must still consume every record.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { TestProducer } from '../helpers/produce.js';
import { type KafkaInfo, sharedKafka, uniqueName } from '../kafka/index.js';
import { GroupProbe, Member, readLog, sleep } from './fixtures/children.js';
import { missing, processedRecords } from './fixtures/ownership.js';

const PARTITIONS = 4;
const PER_PARTITION = 5000;
let kafka: KafkaInfo;
let producer: TestProducer;
let dir: string;

before(async () => {
  kafka = await sharedKafka();
  producer = new TestProducer(kafka.bootstrap);
  dir = mkdtempSync(path.join(tmpdir(), 'sluice-k848-fence-'));
});
after(() => {
  producer.close();
  rmSync(dir, { recursive: true, force: true });
});

test('consumer protocol: a member fenced while frozen loses its partitions (no commit with the stale epoch) and rejoins', {
  timeout: 180_000,
}, async () => {
  const topic = uniqueName('k848fence');
  const groupId = uniqueName('g');
  await producer.createTopic(topic, PARTITIONS);
  await producer.fillGenerated(topic, PARTITIONS, PER_PARTITION, (p, i) => ({ key: `k${i}`, value: `${p}-${i}` }));
  const start = (name: string) =>
    new Member(name, {
      bootstrap: kafka.bootstrap,
      groupId,
      topic,
      log: path.join(dir, `${name}.jsonl`),
      options: { groupProtocol: 'consumer' },
      pauseEvery: 20,
      pauseMs: 20,
    });
  const m1 = start('m1');
  const m2 = start('m2');
  const probe = new GroupProbe(kafka.bootstrap, groupId);
  try {
    await m1.until('m1 assigned and busy', () => m1.owned().size > 0 && m1.processed > 200);
    await m2.until('m2 assigned', () => m2.owned().size > 0);
    const frozenOwned = [...m1.owned()].sort();
    m1.proc.kill('SIGSTOP');
    const stoppedAt = performance.timeOrigin + performance.now();
    // The harness's group.consumer.session.timeout.ms is 10 s: the broker removes m1, m2 takes all.
    await m2.until('m2 owns everything', () => m2.owned().size === PARTITIONS, 40000);
    await sleep(500);
    m1.proc.kill('SIGCONT');
    await m1.until('m1 reports its partitions lost', () => m1.events.some((e) => e.ev === 'lost'), 40000);
    const lost = m1.events.find((e) => e.ev === 'lost')!;
    assert.deepEqual([...(lost.ps as number[])].sort(), frozenOwned, 'everything m1 owned was lost');
    assert.ok(
      !m1.events.some((e) => e.ev === 'revoked' && e.t > stoppedAt),
      'no revocation (which would commit) for the fenced epoch',
    );
    await m1.until('m1 rejoined with partitions', () => m1.owned().size > 0, 40000);

    await probe.waitCommitted(topic, PARTITIONS, () => PER_PARTITION, 120000);
    await Promise.all([m1.close(), m2.close()]);
    const log1 = readLog(m1.cfg.log);
    const lostAt = log1.find((e) => e.ev === 'lost')!.t;
    const staleEpochs = new Set(log1.filter((e) => e.ev === 'commit' && e.t < stoppedAt).map((e) => e.epoch));
    const staleAfterLost = log1.filter((e) => e.ev === 'commit' && e.t > lostAt && staleEpochs.has(e.epoch));
    assert.deepEqual(staleAfterLost, [], 'no commit accepted with an epoch from before the fence');
    const records = processedRecords([
      { name: 'm1', events: log1, killedAt: undefined },
      { name: 'm2', events: readLog(m2.cfg.log), killedAt: undefined },
    ]);
    assert.deepEqual([...missing(records, PARTITIONS, PER_PARTITION)], [], 'every record processed');
  } finally {
    probe.close();
    m1.proc.kill('SIGCONT');
    await Promise.all([m1.destroy(), m2.destroy()]);
  }
});
