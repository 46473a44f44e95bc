import { backoffDelay } from '../../cluster/backoff.js';
import { type ConsumerHeartbeatEvent, consumerHeartbeatChannel } from '../../observability/channels.js';
import { kafkaError } from '../../protocol/errors.js';
import { Heartbeat } from '../../protocol/generated/heartbeat.js';
import type { ClassicGroupMember } from './classic.js';
import { classifyGroupError } from './errors.js';

const REBALANCE_IN_PROGRESS = 27;
const ILLEGAL_GENERATION = 22;
const UNKNOWN_MEMBER_ID = 25;

/**
 * The classic member's heartbeat loop, beside its membership loop (Java's HeartbeatThread): every
 * `heartbeat.interval.ms` while a generation is valid, whatever the membership loop is doing —
 * waiting for handlers of revoked partitions, running the application's rebalance listeners, looking
 * up positions. It also notices what needs a rejoin (the coordinator rebalancing, topics appearing or
 * growing), fences (the generation is over), and a member whose rebalance work has run longer than
 * the rebalance timeout (`max.poll.interval.ms`), which then leaves the group so the others can go
 * on, as Java's consumer does when poll() is not called in time.
 */
export class Heartbeats {
  private loop: Promise<void> | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private lastOk = 0;
  /** The work period we already left the group for (so we leave once). */
  private leftFor = 0;
  private readonly warnedMissing = new Set<string>();

  constructor(private readonly m: ClassicGroupMember) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** A completed join counts as contact with the coordinator. */
  joined(): void {
    this.lastOk = Date.now();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(t);
        self.wake = undefined;
        resolve();
      }
      this.wake = done;
    });
  }

  private async run(): Promise<void> {
    const m = this.m;
    const opts = m.cluster.options;
    let failures = 0;
    while (!this.stopping) {
      const delay = failures
        ? Math.min(
            m.o.heartbeatIntervalMs,
            backoffDelay(failures - 1, { initialMs: opts.retryBackoffMs, maxMs: opts.retryBackoffMaxMs }),
          )
        : m.o.heartbeatIntervalMs;
      await this.sleep(delay);
      if (this.stopping) return;
      this.checkWorkTimeout();
      this.waitForMissingTopics();
      if (!m.inGeneration) {
        failures = 0;
        continue;
      }
      m.checkMetadata();
      // No heartbeat got through for a whole session: the coordinator has evicted us and another
      // member may own our partitions. Stop processing them now rather than when we learn it.
      if (m.ownsPartitions && Date.now() - this.lastOk > m.o.sessionTimeoutMs) {
        m.generationLost('no heartbeat got through within session.timeout.ms');
        continue;
      }
      failures = (await this.beat()) ? 0 : failures + 1;
    }
  }

  /** Sends one heartbeat; false when it should be retried soon (coordinator moved, network error). */
  private async beat(): Promise<boolean> {
    const m = this.m;
    const generationId = m.generationId;
    const memberId = m.memberId;
    const fresh = () => m.generationId === generationId && m.memberId === memberId && !this.stopping;
    try {
      const conn = await m.coordinator();
      const res = await conn.request(
        Heartbeat,
        { groupId: m.o.groupId, generationId, memberId, groupInstanceId: m.o.groupInstanceId },
        {
          signal: m.abort.signal,
          timeoutMs: Math.min(m.cluster.options.requestTimeoutMs, m.o.sessionTimeoutMs),
        },
      );
      if (!fresh()) return true; // answers a generation we have left behind
      if (res.errorCode === 0 || res.errorCode === REBALANCE_IN_PROGRESS) {
        this.lastOk = Date.now();
        if (res.errorCode === 0 && consumerHeartbeatChannel.hasSubscribers) {
          consumerHeartbeatChannel.publish({
            clientId: m.cluster.options.clientId,
            groupId: m.o.groupId,
            memberId,
            generationId,
          } satisfies ConsumerHeartbeatEvent);
        }
        if (res.errorCode === REBALANCE_IN_PROGRESS) m.requestRejoin('the group is rebalancing');
        return true;
      }
      if (res.errorCode === ILLEGAL_GENERATION || res.errorCode === UNKNOWN_MEMBER_ID) {
        m.generationLost(
          `Heartbeat: ${res.errorCode === ILLEGAL_GENERATION ? 'ILLEGAL_GENERATION' : 'UNKNOWN_MEMBER_ID'}`,
          res.errorCode === UNKNOWN_MEMBER_ID,
        );
        return true;
      }
      throw kafkaError(res.errorCode, { api: 'Heartbeat', groupId: m.o.groupId, broker: conn.broker });
    } catch (err) {
      if (this.stopping || m.stopped) return true;
      const kind = classifyGroupError(err);
      if (kind === 'fatal') {
        m.fatal(err);
        return true;
      }
      if (kind === 'coordinator') m.cluster.coordinators.invalidate('group', m.o.groupId);
      m.cluster.options.logger.debug('Heartbeat failed; retrying', { group: m.o.groupId, error: err });
      return false;
    }
  }

  /** Java's max.poll.interval.ms: rebalance work that outlasts the rebalance timeout makes us leave. */
  private checkWorkTimeout(): void {
    const m = this.m;
    const since = m.workSince;
    if (!since || since === this.leftFor || Date.now() - since <= m.o.rebalanceTimeoutMs) return;
    if (!m.commitIdentity()) return;
    this.leftFor = since;
    m.cluster.options.logger.warn(
      'Rebalance work (revocation or a rebalance listener) has run longer than rebalanceTimeoutMs; leaving the group so the other members can go on',
      { group: m.o.groupId, runningForMs: Date.now() - since },
    );
    // A static member does not leave (KIP-345): its session expiring does the same without a rebalance storm.
    if (m.o.groupInstanceId === null) {
      m.leave('rebalance work exceeded rebalanceTimeoutMs', Date.now() + m.cluster.options.requestTimeoutMs).catch(
        () => {},
      );
    }
    m.generationLost('rebalance work exceeded rebalanceTimeoutMs', m.o.groupInstanceId === null);
  }

  /**
   * A subscribed topic that does not exist yet (or that this broker has not heard of yet) gets no
   * partitions; look again every heartbeat until it appears, then the leader rebalances (Java waits
   * for such topics the same way).
   */
  private waitForMissingTopics(): void {
    const m = this.m;
    const missing = m.missingTopics();
    if (missing.length === 0) return;
    for (const t of missing) {
      if (this.warnedMissing.has(t)) continue;
      this.warnedMissing.add(t);
      m.cluster.options.logger.warn('Subscribed topic does not exist (yet); waiting for it', {
        group: m.o.groupId,
        topic: t,
      });
    }
    m.cluster
      .refreshMetadata({ topics: missing, signal: m.abort.signal })
      .then(() => {
        for (const t of missing) if (!m.missingTopics().includes(t)) this.warnedMissing.delete(t);
        if (m.inGeneration) m.checkMetadata();
      })
      .catch((err) => m.cluster.options.logger.debug('Metadata refresh failed', { error: err }));
  }
}
