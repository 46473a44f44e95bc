import type { Admin } from '../admin/admin.js';
import { SluiceError } from '../errors.js';
import type { NewTopicDefaults } from './options.js';

function codeOf(err: unknown): string | undefined {
  return err instanceof SluiceError ? err.code : undefined;
}

/**
 * Retry and dead-letter topics, created on demand with their source topic's partition count, so a
 * forwarded record can keep its partition number (and a key's records stay together, in order).
 * Without an Admin nothing is created or described: the topics must exist (or the broker creates them
 * on first use, with its own `num.partitions`), and records are partitioned by key.
 */
export class TopicProvisioner {
  /** Partition count per topic we forward to, once known (a failed lookup is not cached). */
  private readonly counts = new Map<string, Promise<number | undefined>>();

  constructor(
    private readonly admin: Admin | undefined,
    private readonly newTopic: NewTopicDefaults,
  ) {}

  /** The partition count of `target`, creating it like `source` first if it does not exist. */
  partitions(target: string, source: string): Promise<number | undefined> {
    if (!this.admin) return Promise.resolve(undefined);
    let p = this.counts.get(target);
    if (!p) {
      p = this.ensure(this.admin, target, source);
      this.counts.set(target, p);
      p.catch(() => this.counts.delete(target));
    }
    return p;
  }

  private async ensure(admin: Admin, target: string, source: string): Promise<number> {
    const existing = await this.describe(admin, target);
    if (existing !== undefined) return existing;
    const numPartitions = await this.describe(admin, source);
    try {
      const [created] = await admin.createTopics([
        {
          topic: target,
          ...(numPartitions === undefined ? {} : { numPartitions }),
          ...(this.newTopic.replicationFactor === undefined
            ? {}
            : { replicationFactor: this.newTopic.replicationFactor }),
          ...(this.newTopic.configs === undefined ? {} : { configs: this.newTopic.configs }),
        },
      ]);
      return created!.numPartitions;
    } catch (err) {
      // Another member (or another process) created it first: use what is there.
      if (codeOf(err) !== 'TOPIC_ALREADY_EXISTS') throw err;
      const now = await this.describe(admin, target);
      if (now === undefined) throw err;
      return now;
    }
  }

  private async describe(admin: Admin, topic: string): Promise<number | undefined> {
    try {
      const [d] = await admin.describeTopics([topic]);
      return d!.partitions.length;
    } catch (err) {
      if (codeOf(err) === 'UNKNOWN_TOPIC_OR_PARTITION') return undefined;
      throw err;
    }
  }
}
