// Runs Kafka's Java KafkaShareConsumer (test/interop/java/ShareMember.java) as a share group member and
// reads what it accepted, while it runs and after.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type JavaResult, runJava } from '../kafka/index.js';

export interface JavaAccepted {
  partition: number;
  offset: number;
  deliveryCount: number;
  value: string;
}

export interface JavaShareMember {
  /** Resolves when the JVM exits (rejects if it fails). */
  done: Promise<JavaResult>;
  /** The records whose acceptance the broker confirmed so far. */
  accepted(): JavaAccepted[];
  /** Records whose acknowledgement the broker refused so far (`failed …` lines). */
  failed(): string[];
  /** Asks it to close (it leaves the group) and waits for it. */
  stop(): Promise<JavaResult>;
}

export function javaShareMember(opts: {
  bootstrap: string;
  groupId: string;
  topic: string;
  dir: string;
  name?: string;
  seconds?: number;
  maxRecords?: number;
  delayMsPerRecord?: number;
}): JavaShareMember {
  const name = opts.name ?? 'java-share';
  const stopFile = path.join(opts.dir, `${name}.stop`);
  const outFile = path.join(opts.dir, `${name}.out`);
  writeFileSync(outFile, '');
  const seconds = opts.seconds ?? 90;
  const done = runJava({
    source: 'test/interop/java/ShareMember.java',
    args: [
      opts.bootstrap,
      opts.groupId,
      opts.topic,
      String(seconds),
      stopFile,
      outFile,
      String(opts.maxRecords ?? Number.MAX_SAFE_INTEGER),
      String(opts.delayMsPerRecord ?? 0),
    ],
    timeoutMs: (seconds + 60) * 1000,
  });
  done.catch(() => {});
  const lines = () => (existsSync(outFile) ? readFileSync(outFile, 'utf8').split('\n').filter(Boolean) : []);
  return {
    done,
    accepted: () =>
      lines()
        .filter((l) => l.startsWith('accepted '))
        .map((l) => {
          const [, partition, offset, deliveryCount, ...value] = l.split(' ');
          return {
            partition: Number(partition),
            offset: Number(offset),
            deliveryCount: Number(deliveryCount),
            value: value.join(' '),
          };
        }),
    failed: () => lines().filter((l) => l.startsWith('failed ')),
    stop: () => {
      writeFileSync(stopFile, 'stop');
      return done;
    },
  };
}
