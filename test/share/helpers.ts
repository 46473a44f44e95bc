// Test-side helpers for share group tests: per-group configs, members that record what they get.
import { Admin } from '../../src/admin/admin.js';
import { silentLogger } from '../../src/logger.js';
import type { ShareConsumerOptions } from '../../src/share/options.js';
import { ShareConsumer } from '../../src/share/share-consumer.js';
import type { ShareCommitResult, ShareRecord } from '../../src/share/types.js';

/**
 * Sets per-group share configs (IncrementalAlterConfigs on the GROUP resource), e.g. a short lock
 * duration; the harness lowers the broker's floor for it to 1 s. Always starts from the earliest offset.
 */
export async function shareGroupConfig(
  bootstrap: string,
  groupId: string,
  configs: Record<string, string | number> = {},
): Promise<void> {
  const admin = new Admin({ brokers: bootstrap, logger: silentLogger });
  try {
    const all = { 'share.auto.offset.reset': 'earliest', ...configs };
    await admin.alterConfigs([
      {
        type: 'group',
        name: groupId,
        changes: Object.entries(all).map(([name, value]) => ({ name, value: String(value) })),
      },
    ]);
  } finally {
    admin.close();
  }
}

/** A share consumer of `groupId` with quiet logs (warnings kept) and small fetches. */
export function shareConsumer(bootstrap: string, groupId: string, extra: Partial<ShareConsumerOptions> = {}) {
  return new ShareConsumer({ brokers: bootstrap, groupId, fetchMaxWaitMs: 200, ...extra });
}

/** A running member that records every delivery; `handler` decides what to do with each record. */
export function shareMember(
  bootstrap: string,
  groupId: string,
  topic: string,
  handler: (r: ShareRecord, m: { consumer: ShareConsumer }) => unknown = () => {},
  extra: Partial<ShareConsumerOptions> = {},
) {
  const acks: ShareCommitResult[] = [];
  const consumer = shareConsumer(bootstrap, groupId, { onAcknowledgementCommit: (r) => acks.push(...r), ...extra });
  const seen: ShareRecord[] = [];
  const m = { consumer, seen, acks, running: Promise.resolve(), firstAt: 0, lastAt: 0 };
  consumer.subscribe(topic);
  m.running = consumer.run({
    eachMessage: (r) => {
      seen.push(r);
      m.lastAt = Date.now();
      if (!m.firstAt) m.firstAt = m.lastAt;
      return handler(r, { consumer });
    },
  });
  m.running.catch(() => {});
  return m;
}

export const text = (r: ShareRecord) => r.value?.toString() ?? '';
