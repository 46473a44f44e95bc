// KafkaJS docs, "Producing Messages" page (docs/Producing.md): its runnable fragments in doc order.
// Source: https://github.com/tulios/kafkajs/blob/55b0b416308b9e597a5a6b97b0a6fd6b846255dc/docs/Producing.md
// KafkaJS documentation, Copyright (c) 2018 Túlio Ornelas, MIT License (the full notice is in
// LICENSE-kafkajs next to this file). Used as a test fixture of sluice/kafkajs; what differs from the doc is listed here.
// Fragments, each byte for byte: "Producing messages" (send), "Example with a defined partition",
// "Headers" (send with headers) and "Producing to multiple topics" (sendBatch). Fragments that show a
// signature with placeholders (`<String>`) or need extra packages (compression codecs) are left out.
// Added, each marked "(added)": the `new Kafka` block of GettingStarted.md, an async main, a block
// `{ }` around each fragment that declares its own `producer`, a producer (connected) for the headers
// and sendBatch fragments, which use one without creating it, and `producer.disconnect()` at the end
// of each block.

// (added) The client, from GettingStarted.md:
const { Kafka } = require('kafkajs')

const kafka = new Kafka({
  clientId: 'my-app',
  brokers: ['kafka1:9092', 'kafka2:9092'],
})

// (added) An async main, since the fragments use top-level await and this is a CommonJS script.
const main = async () => {
// (added) block
{
const producer = kafka.producer()

await producer.connect()
await producer.send({
    topic: 'topic-name',
    messages: [
        { key: 'key1', value: 'hello world' },
        { key: 'key2', value: 'hey hey!' }
    ],
})
// (added) Let the script end.
await producer.disconnect()
}

// (added) block
{
const producer = kafka.producer()

await producer.connect()
await producer.send({
    topic: 'topic-name',
    messages: [
        { key: 'key1', value: 'hello world', partition: 0 },
        { key: 'key2', value: 'hey hey!', partition: 1 }
    ],
})
// (added) Let the script end.
await producer.disconnect()
}

// (added) block, with the producer the next two fragments use
{
const producer = kafka.producer()
await producer.connect()

await producer.send({
    topic: 'topic-name',
    messages: [{
        key: 'key1',
        value: 'hello world',
        headers: {
            'correlation-id': '2bfb68bb-893a-423b-a7fa-7b568cad5b67',
            'system-id': 'my-system',
        }
    }]
})

const topicMessages = [
  {
    topic: 'topic-a',
    messages: [{ key: 'key', value: 'hello topic-a' }],
  },
  {
    topic: 'topic-b',
    messages: [{ key: 'key', value: 'hello topic-b' }],
  },
  {
    topic: 'topic-c',
    messages: [
      {
        key: 'key',
        value: 'hello topic-c',
        headers: {
          'correlation-id': '2bfb68bb-893a-423b-a7fa-7b568cad5b67',
        },
      }
    ],
  }
]
await producer.sendBatch({ topicMessages })
// (added) Let the script end.
await producer.disconnect()
}
}

// (added) Report a failure and exit non-zero, so the test sees it.
main().catch(e => {
  console.error(`[example] ${e.message}`, e)
  process.exit(1)
})
