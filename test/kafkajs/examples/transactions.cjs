// KafkaJS docs, "Transactions" page (docs/Transactions.md): its fragments in doc order.
// Source: https://github.com/tulios/kafkajs/blob/55b0b416308b9e597a5a6b97b0a6fd6b846255dc/docs/Transactions.md
// KafkaJS documentation, Copyright (c) 2018 Túlio Ornelas, MIT License (the full notice is in
// LICENSE-kafkajs next to this file). Used as a test fixture of sluice/kafkajs; what differs from the doc is listed here.
// Fragments, each byte for byte: the client and producer, "Within a transaction ..." (send + commit,
// abort on error) and "Sending Offsets" (sendOffsets).
// Added, each marked "(added)": the require line, an async main, `producer.connect()`, the `topic`,
// `messages`, `consumerGroupId` and `topics` values the fragments use, a transaction around the
// sendOffsets fragment that also sends a message (committed), one more transaction that sends and aborts ("If transaction.abort
// is called, all messages will be rolled back"), a block `{ }` per transaction and
// `producer.disconnect()` at the end.

// (added)
const { Kafka } = require('kafkajs')

const client = new Kafka({
  clientId: 'transactional-client',
  brokers: ['kafka1:9092', 'kafka2:9092'],
})
const producer = client.producer({
  transactionalId: 'my-transactional-producer',
  maxInFlightRequests: 1,
  idempotent: true
})

// (added) An async main, since the fragments use top-level await and this is a CommonJS script.
const main = async () => {
// (added) What the fragments send, and where.
const topic = 'transactions-example'
const messages = [
  { key: 'committed', value: 'committed message 1' },
  { key: 'committed', value: 'committed message 2' },
]
const consumerGroupId = 'transactions-example-group'
const topics = [{ topic, partitions: [{ partition: 0, offset: '2' }] }]

await producer.connect()

// (added) block
{
const transaction = await producer.transaction()

try {
  await transaction.send({ topic, messages })

  await transaction.commit()
} catch (e) {
  await transaction.abort()
}
}

// (added) A transaction around the "Sending Offsets" fragment, committed: it produces a message derived
// from the two above and commits the consumed offsets with it, as a consume-transform-produce loop does.
{
const transaction = await producer.transaction()
await transaction.send({ topic, messages: [{ key: 'transformed', value: 'derived from messages 1 and 2' }] })
await transaction.sendOffsets({
  consumerGroupId, topics
})
await transaction.commit()
}

// (added) A transaction that is aborted: its messages must never reach a read_committed consumer.
{
const transaction = await producer.transaction()
await transaction.send({ topic, messages: [{ key: 'aborted', value: 'aborted message' }] })
await transaction.abort()
}

// (added)
await producer.disconnect()
}

// (added) Report a failure and exit non-zero, so the test sees it.
main().catch(e => {
  console.error(`[example] ${e.message}`, e)
  process.exit(1)
})
