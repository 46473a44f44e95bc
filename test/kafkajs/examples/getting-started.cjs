// KafkaJS docs, "Getting Started" page (docs/GettingStarted.md): its three JavaScript fragments in order.
// Source: https://github.com/tulios/kafkajs/blob/55b0b416308b9e597a5a6b97b0a6fd6b846255dc/docs/GettingStarted.md
// KafkaJS documentation, Copyright (c) 2018 Túlio Ornelas, MIT License (the full notice is in
// LICENSE-kafkajs next to this file). Used as a test fixture of sluice/kafkajs; what differs from the doc is listed here.
// The fragments are byte for byte as documented. Added, each marked "(added)": an async main wrapping
// the producer and consumer fragments, and a SIGTERM trap that disconnects the consumer.

const { Kafka } = require('kafkajs')

const kafka = new Kafka({
  clientId: 'my-app',
  brokers: ['kafka1:9092', 'kafka2:9092'],
})

// (added) An async main, since the fragments use top-level await and this is a CommonJS script.
const main = async () => {
const producer = kafka.producer()

await producer.connect()
await producer.send({
  topic: 'test-topic',
  messages: [
    { value: 'Hello KafkaJS user!' },
  ],
})

await producer.disconnect()

// (added) Leave the group on SIGTERM, as the signal trap of ConsumerExample.md does, so the test can stop
// this script. Registered before the consumer fragment (it only reads `consumer` when the signal comes).
process.once('SIGTERM', async () => {
  try {
    await consumer.disconnect()
  } finally {
    process.kill(process.pid, 'SIGTERM')
  }
})

const consumer = kafka.consumer({ groupId: 'test-group' })

await consumer.connect()
await consumer.subscribe({ topic: 'test-topic', fromBeginning: true })

await consumer.run({
  eachMessage: async ({ topic, partition, message }) => {
    console.log({
      value: message.value.toString(),
    })
  },
})
}

// (added) Report a failure and exit non-zero, so the test sees it.
main().catch(e => {
  console.error(`[example] ${e.message}`, e)
  process.exit(1)
})
