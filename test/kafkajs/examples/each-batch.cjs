// KafkaJS docs, "Consuming Messages" page (docs/Consuming.md), section "eachBatch", its first fragment.
// Source: https://github.com/tulios/kafkajs/blob/55b0b416308b9e597a5a6b97b0a6fd6b846255dc/docs/Consuming.md
// KafkaJS documentation, Copyright (c) 2018 Túlio Ornelas, MIT License (the full notice is in
// LICENSE-kafkajs next to this file). Used as a test fixture of sluice/kafkajs; what differs from the doc is listed here.
// Assembled in doc order from the page's fragments, each byte for byte: "Creating the consumer",
// "Subscribing to some topics", and the eachBatch fragment of the "eachBatch" section.
// Added, each marked "(added)": the `new Kafka` block of GettingStarted.md, an async main, and a SIGTERM
// trap that disconnects the consumer.

// (added) The client, from GettingStarted.md:
const { Kafka } = require('kafkajs')

const kafka = new Kafka({
  clientId: 'my-app',
  brokers: ['kafka1:9092', 'kafka2:9092'],
})

// (added) An async main, since the fragments use top-level await and this is a CommonJS script.
const main = async () => {
const consumer = kafka.consumer({ groupId: 'my-group' })

// (added) Leave the group on SIGTERM, as the signal trap of ConsumerExample.md does, so the test can stop
// this script. Registered before the consumer fragment (it only reads `consumer` when the signal comes).
process.once('SIGTERM', async () => {
  try {
    await consumer.disconnect()
  } finally {
    process.kill(process.pid, 'SIGTERM')
  }
})

await consumer.connect()

await consumer.subscribe({ topics: ['topic-A'] })

// You can subscribe to multiple topics at once
await consumer.subscribe({ topics: ['topic-B', 'topic-C'] })

// It's possible to start from the beginning of the topic
await consumer.subscribe({ topics: ['topic-D'], fromBeginning: true })

await consumer.run({
    eachBatchAutoResolve: true,
    eachBatch: async ({
        batch,
        resolveOffset,
        heartbeat,
        commitOffsetsIfNecessary,
        uncommittedOffsets,
        isRunning,
        isStale,
        pause,
    }) => {
        for (let message of batch.messages) {
            console.log({
                topic: batch.topic,
                partition: batch.partition,
                highWatermark: batch.highWatermark,
                message: {
                    offset: message.offset,
                    key: message.key.toString(),
                    value: message.value.toString(),
                    headers: message.headers,
                }
            })

            resolveOffset(message.offset)
            await heartbeat()
        }
    },
})
}

// (added) Report a failure and exit non-zero, so the test sees it.
main().catch(e => {
  console.error(`[example] ${e.message}`, e)
  process.exit(1)
})
