// KafkaJS docs, "Admin Client" page (docs/Admin.md): its runnable fragments in doc order.
// Source: https://github.com/tulios/kafkajs/blob/55b0b416308b9e597a5a6b97b0a6fd6b846255dc/docs/Admin.md
// KafkaJS documentation, Copyright (c) 2018 Túlio Ornelas, MIT License (the full notice is in
// LICENSE-kafkajs next to this file). Used as a test fixture of sluice/kafkajs; what differs from the doc is listed here.
// Fragments, in doc order: the first (admin, connect ... disconnect), List topics, Create topics, Delete
// topics, Create partitions, Fetch topic metadata (both), Fetch topic offsets, ... by timestamp, Fetch
// consumer group offsets (all three), Reset offsets, Set offsets (the Example), Reset offsets by
// timestamp, Describe cluster, Describe configs (both examples), Alter configs (the Example), List groups,
// Describe groups, Delete groups (all three), Delete topic records (the Example). Left out: fragments that
// only show a data structure or a response, the placeholder-only setOffsets/describeConfigs/alterConfigs/
// deleteTopicRecords signatures, ACLs (security is disabled on the test broker) and partition reassignments
// (TypeScript, one broker).
// Changes inside fragments, all of them placeholders that are not code: in createTopics, deleteTopics,
// createPartitions and fetchTopicMetadata({ topics }) each `<...>` placeholder is replaced by a value, and
// createTopics gets the comma its doc fragment lacks after `waitForLeaders: <boolean>`. The first
// fragment's `const kafka = new Kafka(...)` is the GettingStarted.md block, and its `await admin.disconnect()`
// is moved to the end.
// Added, each marked "(added)": the `new Kafka` block of GettingStarted.md, an async main, the `topic`,
// `groupId` and `timestamp` values the fragments use, a wrapper printing what each admin call resolves to,
// and a block `{ }` around each fragment that declares `ConfigResourceTypes`.

// (added) The client, from GettingStarted.md:
const { Kafka } = require('kafkajs')

const kafka = new Kafka({
  clientId: 'my-app',
  brokers: ['kafka1:9092', 'kafka2:9092'],
})

// (added) An async main, since the fragments use top-level await and this is a CommonJS script.
const main = async () => {
// (added) The values the fragments use.
const topic = 'custom-topic'
const groupId = 'admin-example-group'
const timestamp = Date.now() - 24 * 60 * 60 * 1000

// From the first fragment (its `new Kafka(...)` line is the GettingStarted.md block above; its
// `await admin.disconnect()` is at the end, "when you are done"):
const admin = kafka.admin()

// remember to connect and disconnect when you are done
await admin.connect()

// (added) Print what each admin call resolves to (the doc shows results as comments), so the test can
// check them.
;['listTopics', 'createTopics', 'deleteTopics', 'createPartitions', 'fetchTopicMetadata', 'fetchTopicOffsets',
  'fetchTopicOffsetsByTimestamp', 'fetchOffsets', 'resetOffsets', 'setOffsets', 'describeCluster',
  'describeConfigs', 'alterConfigs', 'listGroups', 'describeGroups', 'deleteGroups', 'deleteTopicRecords',
].forEach(name => {
  const call = admin[name]
  if (typeof call !== 'function') throw new Error(`admin.${name} is not a function`)
  admin[name] = async (...args) => {
    const result = await call.apply(admin, args)
    console.log(`${name} ${JSON.stringify(result)}`)
    return result
  }
})

await admin.listTopics()
// [ 'topic-1', 'topic-2', 'topic-3', ... ]

await admin.createTopics({
    validateOnly: false,
    waitForLeaders: true,
    timeout: 5000,
    topics: [{ topic: 'admin-example-topic', numPartitions: 2 }, { topic: 'admin-example-deleted' }],
})

await admin.deleteTopics({
    topics: ['admin-example-deleted'],
    timeout: 5000, // default: 5000
})

await admin.createPartitions({
    validateOnly: false,
    timeout: 5000,
    topicPartitions: [{ topic: 'admin-example-topic', count: 3 }],
})

await admin.fetchTopicMetadata({ topics: ['admin-example-topic'] })

await admin.fetchTopicMetadata()

await admin.fetchTopicOffsets(topic)
// [
//   { partition: 0, offset: '31004', high: '31004', low: '421' },
//   { partition: 1, offset: '54312', high: '54312', low: '3102' },
//   { partition: 2, offset: '32103', high: '32103', low: '518' },
//   { partition: 3, offset: '28', high: '28', low: '0' },
// ]

await admin.fetchTopicOffsetsByTimestamp(topic, timestamp)
// [
//   { partition: 0, offset: '3244' },
//   { partition: 1, offset: '3113' },
// ]

await admin.fetchOffsets({ groupId, topics: ['topic1', 'topic2'] })
// [
//   {
//     topic: 'topic1',
//     partitions: [
//       { partition: 0, offset: '31004' },
//       { partition: 1, offset: '54312' },
//       { partition: 2, offset: '32103' },
//       { partition: 3, offset: '28' },
//     ],
//   },
//   {
//     topic: 'topic2',
//     partitions: [
//       { partition: 0, offset: '1234' },
//       { partition: 1, offset: '4567' },
//     ],
//   },
// ]

await admin.resetOffsets({ groupId, topic })
await admin.fetchOffsets({ groupId, topics: [topic], resolveOffsets: false })
// [
//   { partition: 0, offset: '-1' },
//   { partition: 1, offset: '-1' },
//   { partition: 2, offset: '-1' },
//   { partition: 3, offset: '-1' },
// ]

await admin.resetOffsets({ groupId, topic })
await admin.fetchOffsets({ groupId, topics: [topic], resolveOffsets: true })
// [
//   { partition: 0, offset: '31004' },
//   { partition: 1, offset: '54312' },
//   { partition: 2, offset: '32103' },
//   { partition: 3, offset: '28' },
// ]

await admin.resetOffsets({ groupId, topic }) // latest by default
// await admin.resetOffsets({ groupId, topic, earliest: true })

await admin.setOffsets({
    groupId: 'my-consumer-group',
    topic: 'custom-topic',
    partitions: [
        { partition: 0, offset: '35' },
        { partition: 3, offset: '19' },
    ]
})

await admin.setOffsets({ groupId, topic, partitions: await admin.fetchTopicOffsetsByTimestamp(topic, timestamp) })

await admin.describeCluster()
// {
//   brokers: [
//     { nodeId: 0, host: 'localhost', port: 9092 }
//   ],
//   controller: 0,
//   clusterId: 'f8QmWTB8SQSLE6C99G4qzA'
// }

// (added) block
{
const { ConfigResourceTypes } = require('kafkajs')

await admin.describeConfigs({
  includeSynonyms: false,
  resources: [
    {
      type: ConfigResourceTypes.TOPIC,
      name: 'topic-name'
    }
  ]
})
}

// (added) block
{
const { ConfigResourceTypes } = require('kafkajs')

await admin.describeConfigs({
  includeSynonyms: false,
  resources: [
    {
      type: ConfigResourceTypes.TOPIC,
      name: 'topic-name',
      configNames: ['cleanup.policy']
    }
  ]
})
}

// (added) block
{
const { ConfigResourceTypes } = require('kafkajs')

await admin.alterConfigs({
    resources: [{
        type: ConfigResourceTypes.TOPIC,
        name: 'topic-name',
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }]
    }]
})
}

await admin.listGroups()

await admin.describeGroups([ 'testgroup' ])
// {
//   groups: [{
//     errorCode: 0,
//     groupId: 'testgroup',
//     members: [
//       {
//         clientHost: '/172.19.0.1',
//         clientId: 'test-3e93246fe1f4efa7380a',
//         memberAssignment: Buffer,
//         memberId: 'test-3e93246fe1f4efa7380a-ff87d06d-5c87-49b8-a1f1-c4f8e3ffe7eb',
//         memberMetadata: Buffer,
//       },
//     ],
//     protocol: 'RoundRobinAssigner',
//     protocolType: 'consumer',
//     state: 'Stable',
//   }]
// }

await admin.deleteGroups([groupId])

await admin.deleteGroups(['group-test'])

try {
    await admin.deleteGroups(['a', 'b', 'c'])
} catch (error) {
  // error.name 'KafkaJSDeleteGroupsError'
  // error.groups = [{
  //   groupId: a
  //   error: KafkaJSProtocolError
  // }]
}

await admin.deleteTopicRecords({
    topic: 'custom-topic',
    partitions: [
        { partition: 0, offset: '30' }, // delete up to and including offset 29
        { partition: 3, offset: '-1' }, // delete all available records on this partition
    ]
})

// (added) The end of the first fragment.
await admin.disconnect()
}

// (added) Report a failure and exit non-zero, so the test sees it.
main().catch(e => {
  console.error(`[example] ${e.message}`, e)
  process.exit(1)
})
