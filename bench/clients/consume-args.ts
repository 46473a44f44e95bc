// Shared argument parsing for the consume-benchmark clients: every client gets the same
// `--bootstrap --topic --count --group [--mode]` and prints one JSON result line.
import { parseArgs } from 'node:util';

export function consumeArgs() {
  const { values } = parseArgs({
    options: {
      bootstrap: { type: 'string' },
      topic: { type: 'string' },
      count: { type: 'string' },
      group: { type: 'string' },
      mode: { type: 'string', default: '' },
    },
  });
  if (!values.bootstrap || !values.topic || !values.count || !values.group) {
    throw new Error('usage: --bootstrap host:port --topic t --count n --group g [--mode m]');
  }
  return {
    bootstrap: values.bootstrap,
    topic: values.topic,
    count: Number(values.count),
    group: values.group,
    mode: values.mode,
  };
}

/** Counts records and value bytes and remembers when the first and last arrived. */
export class Tally {
  records = 0;
  bytes = 0;
  first = 0;
  last = 0;

  /** Touches the value (so no client can skip decoding); true once `count` records arrived. */
  add(value: { length: number } | null | undefined, count: number): boolean {
    const now = performance.now();
    if (this.records === 0) this.first = now;
    this.records++;
    this.bytes += value ? value.length : 0;
    this.last = now;
    return this.records >= count;
  }

  print(extra: Record<string, unknown> = {}): void {
    console.log(JSON.stringify({ records: this.records, bytes: this.bytes, ms: this.last - this.first, ...extra }));
  }
}
