// Interop defaults: a Sluice consumer with default options shares a group with kafka-python and with
// confluent-kafka (librdkafka), each with its own default assignment settings ([range, roundrobin] for
// both), in both orders. And the case that failed before the default became [range, cooperative-sticky]:
// a Sluice consumer with only cooperative-sticky cannot join a kafka-python group, and must say so with a
// typed error instead of hanging.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { GroupProbe } from '../consumer/fixtures/children.js';
import { testEnv } from '../helpers/env.js';
import { uniqueName } from '../kafka/index.js';
import { defaultsInterop, PARTITIONS, until } from './fixtures/defaults-scenario.js';
import { pythonPeers, startPythonPeer, startSluice } from './fixtures/peers.js';

const env = testEnv('sluice-pyinterop-');
let python: string;
before(() => {
  python = pythonPeers();
});

for (const client of ['kafka-python', 'confluent-kafka'] as const) {
  for (const first of ['peer', 'sluice'] as const) {
    const who = first === 'peer' ? `Sluice joins a ${client} group` : `${client} joins a Sluice group`;
    test(`interop defaults: ${who}; both consume, each record once`, { timeout: 90_000 }, async () => {
      console.log(`# ${await defaultsInterop(env, client, python, first)}`);
    });
  }
}

test('a Sluice consumer with only cooperative-sticky cannot join a kafka-python default group: INCONSISTENT_GROUP_PROTOCOL', {
  timeout: 90_000,
}, async () => {
  const topic = uniqueName('coop-only');
  const groupId = uniqueName('g');
  await env.producer.createTopic(topic, PARTITIONS);
  const o = { bootstrap: env.kafka.bootstrap, groupId, topic, dir: env.dir, name: 'kafka-python' };
  const probe = new GroupProbe(env.kafka.bootstrap, groupId);
  const peer = await startPythonPeer(python, 'kafka-python', o);
  let sluice: ReturnType<typeof startSluice> | undefined;
  try {
    await until('kafka-python to own every partition', () => (peer.owned().length === PARTITIONS ? true : undefined), {
      peers: [peer],
    });
    const t0 = Date.now();
    sluice = startSluice(o, { assignors: ['cooperative-sticky'] });
    const err = await sluice.running.then(
      () => assert.fail('run() resolved: the consumer should have stopped with an error'),
      (e: unknown) => e as Error & { code?: string; retriable?: boolean },
    );
    const elapsed = Date.now() - t0;
    console.log(`# cooperative-sticky only: ${err.name} ${err.code} after ${elapsed} ms: ${err.message}`);
    assert.equal(err.code, 'INCONSISTENT_GROUP_PROTOCOL');
    assert.equal(err.retriable, false);
    assert.match(err.message, /INCONSISTENT_GROUP_PROTOCOL|assignor|protocol/i);
    assert.deepEqual(sluice.owned(), [], 'sluice never got a partition');
    // The kafka-python member was not disturbed: still alone, still owning everything, no rebalance on
    // its side (a few of its 500 ms heartbeats later, any rebalance would have reached it).
    await new Promise((r) => setTimeout(r, 2000));
    const d = await probe.describe();
    assert.equal(d.state, 'Stable');
    assert.deepEqual(
      d.members.map((m) => m.clientId),
      ['kafka-python-peer'],
    );
    assert.equal(peer.owned().length, PARTITIONS);
    // (kafka-python calls on_partitions_revoked([]) before its first join.)
    const callbacks = peer
      .events()
      .filter((e) => ['assigned', 'revoked', 'lost'].includes(e.ev) && (e.ps as number[]).length > 0);
    assert.deepEqual(
      callbacks.map((e) => `${e.ev} ${e.ps}`),
      ['assigned 0,1,2,3,4,5'],
      'no rebalance on the kafka-python side',
    );
    await peer.stop();
  } finally {
    await sluice?.consumer.close().catch(() => {});
    await peer.destroy();
    probe.close();
  }
});
