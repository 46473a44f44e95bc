// KafkaJS docs, "Consuming Messages" page (docs/Consuming.md), section "eachBatch", its "Example".
// Source: https://github.com/tulios/kafkajs/blob/55b0b416308b9e597a5a6b97b0a6fd6b846255dc/docs/Consuming.md
// KafkaJS documentation, Copyright (c) 2018 Túlio Ornelas, MIT License (the full notice is in
// LICENSE-kafkajs next to this file). Used as a test fixture of sluice/kafkajs; what differs from the doc is listed here.
// Assembled in doc order from the page's fragments, each byte for byte: "Creating the consumer",
// "Subscribing to some topics", and the fragment under "eachBatch" > "Example".
// Added, each marked "(added)": the `new Kafka` block of GettingStarted.md, a processMessage function
// (the example calls one without defining it), an async main, and a SIGTERM trap that disconnects the
// consumer.

// (added) The client, from GettingStarted.md:
const { Kafka } = require('kafkajs')

const kafka = new Kafka({
  clientId: 'my-app',
  brokers: ['kafka1:9092', 'kafka2:9092'],
})

// (added) The example calls processMessage, which the page leaves to the reader: print the message.
const processMessage = async message => {
  console.log(`processed ${message.offset} ${message.key}#${message.value}`)
}

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

consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        for (let message of batch.messages) {
            if (!isRunning() || isStale()) break
            await processMessage(message)
            resolveOffset(message.offset)
            await heartbeat()
        }
    }
})
}

// (added) Report a failure and exit non-zero, so the test sees it.
main().catch(e => {
  console.error(`[example] ${e.message}`, e)
  process.exit(1)
})
