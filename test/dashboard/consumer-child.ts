// A consumer in a process of its own, so a test can kill it (SIGKILL: no leave, no last commit).
// argv: brokers group topic. Prints "consuming" once the first record arrived.
import { Consumer } from '../../src/consumer/consumer.js';

const [brokers, groupId, topic] = process.argv.slice(2) as [string, string, string];
const consumer = new Consumer({ brokers, groupId, clientId: 'dash-killed', autoCommitIntervalMs: 200 });
consumer.subscribe(topic);
let said = false;
await consumer.run({
  eachMessage: () => {
    if (!said) process.stdout.write('consuming\n');
    said = true;
  },
});
