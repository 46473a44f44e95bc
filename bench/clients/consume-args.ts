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

/**
 * Counts records and value bytes. The clock starts when the client has its partitions (its group
 * join or assignment callback) — the start of fetching — and stops at the last record, so a client
 * that fetches a lot before calling the handler is not credited with a short first-to-last window.
 * Java's ConsumerPerformance measures the same way (its fetch time excludes the group join).
 */
export class Tally {
  records = 0;
  bytes = 0;
  first = 0;
  last = 0;
  started = 0;

  /** The client has its assignment: fetching starts now (first call wins). */
  ready(): void {
    if (this.started === 0) this.started = performance.now();
  }

  /**
   * Touches the value (so no client can skip decoding); true once `count` records arrived. The clock
   * is read only at the first and the last record, so the tally costs every client the same little.
   */
  add(value: { length: number } | null | undefined, count: number): boolean {
    if (this.records === 0) this.first = performance.now();
    this.records++;
    this.bytes += value ? value.length : 0;
    if (this.records < count) return false;
    if (this.last === 0) this.last = performance.now();
    return true;
  }

  print(extra: Record<string, unknown> = {}): void {
    const from = this.started || this.first;
    console.log(
      JSON.stringify({
        records: this.records,
        bytes: this.bytes,
        ms: this.last - from,
        firstToLastMs: this.last - this.first,
        ...extra,
      }),
    );
  }
}
