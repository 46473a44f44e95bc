// The demo's order stream: sample orders sent at a steady rate for a while, keyed by customer.
import { Producer } from '../../src/producer/producer.js';
import { OrderGenerator } from './orders.js';

export interface ProduceOrdersOptions {
  brokers: string[];
  topic: string;
  /** Orders a second (sent in ticks of 100 ms). */
  ratePerSecond: number;
  seconds: number;
  /** Where orders come from; pass the same one to a second call to continue its order ids. */
  generator?: OrderGenerator;
  signal?: AbortSignal;
}

const TICK_MS = 100;

/** Sends orders for `seconds` (or until `signal`); resolves with how many were acknowledged. */
export async function produceOrders(o: ProduceOrdersOptions): Promise<number> {
  const producer = new Producer({ brokers: o.brokers, clientId: 'sluice-demo', lingerMs: 5 });
  const gen = o.generator ?? new OrderGenerator();
  const started = Date.now();
  const deadline = started + o.seconds * 1000;
  let sent = 0;
  try {
    await producer.connect();
    // Bounded by the deadline: every tick sends what the rate owes since the start, then sleeps.
    while (!o.signal?.aborted && Date.now() < deadline) {
      const owed = Math.floor(((Date.now() - started) / 1000) * o.ratePerSecond) + 1 - sent;
      if (owed > 0) {
        const now = Date.now();
        const messages = Array.from({ length: owed }, () => {
          const order = gen.next(now);
          return { key: order.customer.id, value: JSON.stringify(order), timestamp: now };
        });
        await producer.send({ topic: o.topic, messages });
        sent += owed;
      }
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
    await producer.flush();
    return sent;
  } finally {
    await producer.close();
  }
}
