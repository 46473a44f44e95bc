// KIP-848 interop: a Sluice member, a Java consumer and a librdkafka (confluent-kafka) consumer, all
// with group.protocol=consumer, in one group on the real Kafka 4.x broker. The broker assigns; the
// three split the partitions with no overlap, hand them over as members join and leave, and every
// record is consumed.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { GroupProbe } from '../consumer/fixtures/children.js';
import {
  type MemberLog,
  missing,
  overlaps,
  ownershipIntervals,
  processedRecords,
} from '../consumer/fixtures/ownership.js';
import { testEnv } from '../helpers/env.js';
import { uniqueName } from '../kafka/index.js';
import { PARTITIONS, until } from './fixtures/defaults-scenario.js';
import { type Peer, pythonPeers, startJavaPeer, startPythonPeer, startSluice } from './fixtures/peers.js';

const env = testEnv('sluice-k848-interop-');
let python: string;
before(() => {
  python = pythonPeers();
});

test('KIP-848 interop: Sluice, Java and librdkafka members share one consumer-protocol group', {
  timeout: 240_000,
}, async () => {
  const topic = uniqueName('k848x');
  const groupId = uniqueName('g');
  await env.producer.createTopic(topic, PARTITIONS);
  let produced = 0;
  const produce = async () => {
    const base = produced;
    await env.producer.fillGenerated(topic, PARTITIONS, 300, (p, i) => ({ value: `${p}-${base + i}` }));
    produced += 300;
  };
  const o = { bootstrap: env.kafka.bootstrap, groupId, topic, dir: env.dir, groupProtocol: 'consumer' as const };
  const probe = new GroupProbe(env.kafka.bootstrap, groupId);
  const peers: Peer[] = [];
  const sluice = startSluice({ ...o, name: 'sluice' }, { groupProtocol: 'consumer', autoCommitIntervalMs: 500 });
  const watch = { sluice, peers };
  const drained = () => probe.waitCommitted(topic, PARTITIONS, () => produced, 60_000);
  try {
    await produce();
    await until(
      'sluice owns every partition',
      () => (sluice.owned().length === PARTITIONS ? true : undefined),
      watch,
      60_000,
    );
    peers.push(startJavaPeer({ ...o, name: 'java' }));
    peers.push(await startPythonPeer(python, 'confluent-kafka', { ...o, name: 'librdkafka' }));
    const split = await until(
      'the three members split the partitions',
      () => {
        const all = [sluice.owned(), ...peers.map((p) => p.owned())];
        const flat = all.flat();
        return all.every((x) => x.length > 0) && flat.length === PARTITIONS && new Set(flat).size === PARTITIONS
          ? all
          : undefined;
      },
      watch,
      90_000,
    );
    await produce();
    await drained();
    // librdkafka leaves: the other two take its partitions over.
    await peers[1]!.stop();
    await until(
      'sluice and java own everything',
      () => (sluice.owned().length + peers[0]!.owned().length === PARTITIONS ? true : undefined),
      { sluice, peers: [peers[0]!] },
      60_000,
    );
    await produce();
    await drained();
    await sluice.consumer.close();
    await until(
      'java owns everything',
      () => (peers[0]!.owned().length === PARTITIONS ? true : undefined),
      { peers: [peers[0]!] },
      60_000,
    );
    await produce();
    await drained();
    await peers[0]!.stop();

    const logs: MemberLog[] = [
      { name: 'sluice', events: sluice.events },
      { name: 'java', events: peers[0]!.events() },
      { name: 'librdkafka', events: peers[1]!.events() },
    ];
    const records = processedRecords(logs);
    assert.deepEqual([...missing(records, PARTITIONS, produced)], [], 'every record consumed');
    assert.deepEqual(overlaps(ownershipIntervals(logs)), [], 'one owner per partition at a time');
    const count = (m: string) => records.filter((r) => r.member === m).length;
    const dupes = records.length - PARTITIONS * produced;
    console.log(
      `# split sluice ${split[0]} / java ${split[1]} / librdkafka ${split[2]}; ${records.length} records: sluice ${count('sluice')}, java ${count('java')}, librdkafka ${count('librdkafka')}; ${dupes} duplicates`,
    );
    assert.equal(dupes, 0, 'no record consumed twice (every hand-over was graceful)');
  } finally {
    await sluice.consumer.close().catch(() => {});
    await Promise.all(peers.map((p) => p.destroy().catch(() => {})));
    probe.close();
  }
});
