import { backoffDelay, sleep } from '../cluster/backoff.js';
import type { Cluster } from '../cluster/cluster.js';
import { IllegalStateError } from '../consumer/errors.js';
import { raceDeadline } from '../consumer/race-deadline.js';
import type { TopicPartition } from '../consumer/topic-partition.js';
import { publishConsumerError } from '../observability/channels.js';
import { KafkaError } from '../protocol/errors.js';
import { ZERO_UUID } from '../protocol/reader.js';
import { failedResults } from './acks.js';
import { BrokerLink, type LinkOwner } from './broker-link.js';
import type { AcquiredChunk } from './chunk.js';
import { RenewUnsupportedError, ShareAcknowledgeError } from './errors.js';
import type { ResolvedShareConsumerOptions } from './options.js';
import type { SessionPartition } from './session.js';
import { ACK_CODES, type AcknowledgeType, type ShareCommitResult, type ShareRecord } from './types.js';

export interface ShareFetcherEvents {
  /** New chunks to deliver. */
  onChunks(chunks: AcquiredChunk[]): void;
  /** An error that stops the consumer (authorization, no share group support, a corrupt batch). */
  onFatal(err: Error): void;
}

/**
 * Fetches the member's assigned partitions: one loop per leader broker, each sending ShareFetch with
 * its share session. A loop fetches again only once every record it delivered is settled, and its
 * next ShareFetch carries those acknowledgements — so a member never sits on acquired records it is
 * not working on (their locks run while they wait), and acknowledging costs no extra round trip.
 * commit() sends whatever is pending at once, in ShareAcknowledge.
 */
export class ShareFetcher implements LinkOwner {
  private readonly links = new Map<number, BrokerLink>();
  private readonly loops = new Map<number, Promise<void>>();
  private readonly byRecord = new WeakMap<ShareRecord, AcquiredChunk>();
  private assignment: TopicPartition[] = [];
  private running = false;
  private abort = new AbortController();
  private waiters: Array<() => void> = [];
  private leaderTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly cluster: Cluster,
    readonly o: ResolvedShareConsumerOptions,
    readonly memberId: () => string,
    private readonly events: ShareFetcherEvents,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.wake();
  }

  /** The partitions to fetch from now on (the member's whole assignment). */
  assign(partitions: TopicPartition[]): void {
    this.assignment = partitions;
    this.wake();
  }

  assigned(): TopicPartition[] {
    return this.assignment.map((p) => ({ ...p }));
  }

  private link(nodeId: number): BrokerLink {
    let l = this.links.get(nodeId);
    if (!l) this.links.set(nodeId, (l = new BrokerLink(nodeId, this)));
    return l;
  }

  /** Starts a loop for every leader of an assigned partition (or with acknowledgements to send), and wakes the waiting ones. */
  wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
    if (!this.running) return;
    const nodes = new Set<number>();
    let leaderless = false;
    for (const p of this.assignment) {
      const leader = this.cluster.metadata.partition(p.topic, p.partition)?.leader ?? -1;
      if (leader < 0 || !this.cluster.metadata.brokers.has(leader)) leaderless = true;
      else nodes.add(leader);
    }
    for (const [id, l] of this.links) if (l.pending.size || l.held.size) nodes.add(id);
    for (const id of nodes) {
      if (this.loops.has(id)) continue;
      const loop = this.runLoop(this.link(id)).finally(() => {
        this.loops.delete(id);
        if (this.running) queueMicrotask(() => this.wake());
      });
      this.loops.set(id, loop);
    }
    if (leaderless && !this.leaderTimer) {
      this.leaderTimer = setTimeout(() => {
        this.cluster
          .refreshMetadata({ signal: this.abort.signal })
          .catch(() => {})
          .finally(() => {
            this.leaderTimer = undefined;
            this.wake();
          });
      }, this.cluster.options.retryBackoffMs);
    }
  }

  private waitForWake(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private targetsFor(nodeId: number): SessionPartition[] {
    const out: SessionPartition[] = [];
    for (const p of this.assignment) {
      if (this.cluster.metadata.partition(p.topic, p.partition)?.leader !== nodeId) continue;
      const topicId = this.cluster.metadata.topics.get(p.topic)?.topicId ?? ZERO_UUID;
      if (topicId !== ZERO_UUID) out.push({ topic: p.topic, partition: p.partition, topicId });
    }
    return out;
  }

  private async runLoop(link: BrokerLink): Promise<void> {
    await undefined; // let the code that woke us finish (e.g. assign every partition) first
    for (let failures = 0; this.running; ) {
      // Fetch again only once every record delivered from this broker is settled.
      if (link.held.size > 0) {
        await this.waitForWake();
        continue;
      }
      const targets = this.targetsFor(link.nodeId);
      if (targets.length === 0) {
        // Acknowledgements for partitions no longer fetched here (reassigned, or moved leader).
        if (link.pending.size > 0) await this.sendPending(link);
        return;
      }
      const started = Date.now();
      try {
        const got = await link.exclusive(() => link.fetch(targets, this.abort.signal));
        failures = 0;
        if (!this.running) {
          this.releaseChunks(got.chunks); // acquired while closing: give them back with the close
          return;
        }
        for (const c of got.chunks) for (const r of c.records) this.byRecord.set(r, c);
        if (got.chunks.length) this.events.onChunks(got.chunks);
        if (got.refresh) await this.cluster.refreshMetadata({ signal: this.abort.signal }).catch(() => {});
        // A broker answering empty at once (not parking the fetch) must not make us spin.
        if (got.chunks.length === 0 && Date.now() - started < Math.min(10, this.o.fetchMaxWaitMs)) {
          await sleep(this.cluster.options.retryBackoffMs, this.abort.signal).catch(() => {});
        }
      } catch (err) {
        if (!this.running) return;
        publishConsumerError(this.cluster.options.clientId, 'fetch', err);
        if (err instanceof KafkaError ? !err.retriable : !isRetriableLike(err)) {
          this.events.onFatal(err as Error);
          return;
        }
        this.cluster.options.logger.debug('ShareFetch failed; retrying', { broker: link.nodeId, error: err });
        await this.cluster.refreshMetadata({ signal: this.abort.signal }).catch(() => {});
        const delay = backoffDelay(failures++, {
          initialMs: this.cluster.options.retryBackoffMs,
          maxMs: this.cluster.options.retryBackoffMaxMs,
        });
        await sleep(delay, this.abort.signal).catch(() => {});
      }
    }
  }

  private async sendPending(link: BrokerLink): Promise<void> {
    const results = await link
      .exclusive(() => link.acknowledge({ signal: this.abort.signal }))
      .catch((err) => {
        this.cluster.options.logger.warn('Sending acknowledgements failed', { broker: link.nodeId, error: err });
        return [];
      });
    this.ackResults(results);
  }

  // LinkOwner

  ackResults(results: ShareCommitResult[]): void {
    if (results.length === 0) return;
    if (this.o.onAcknowledgementCommit) {
      try {
        this.o.onAcknowledgementCommit(results);
      } catch (err) {
        this.cluster.options.logger.warn('onAcknowledgementCommit threw', { error: err });
      }
      return;
    }
    for (const r of results) {
      if (r.error)
        this.cluster.options.logger.warn('Acknowledgements were not applied', {
          partition: `${r.topic}-${r.partition}`,
          offsets: r.offsets.length,
          error: r.error,
        });
    }
  }

  partitionError(err: KafkaError, retriable: boolean): void {
    publishConsumerError(this.cluster.options.clientId, 'fetch-partition', err);
    if (retriable) this.cluster.options.logger.debug('ShareFetch of a partition failed; retrying', { error: err });
    else this.events.onFatal(err);
  }

  decodeError(err: Error): void {
    this.events.onFatal(err);
  }

  // Acknowledging

  /** The chunk a delivered record belongs to, or an IllegalStateError. */
  chunkOf(record: ShareRecord): AcquiredChunk {
    const chunk = this.byRecord.get(record);
    if (!chunk) throw new IllegalStateError('acknowledge(): not a record this share consumer delivered');
    return chunk;
  }

  acknowledge(record: ShareRecord, type: AcknowledgeType): void {
    const chunk = this.chunkOf(record);
    // Lost (fenced) or given back at close: the broker delivers it again; nothing to acknowledge.
    if (chunk.abandoned) return;
    const done = chunk.settled.get(record.offset);
    if (done !== undefined) {
      throw new IllegalStateError(
        `acknowledge(): ${record.topic}-${record.partition} offset ${record.offset} was already acknowledged (${nameOf(done)})`,
      );
    }
    const link = this.link(chunk.nodeId);
    if (type === 'renew') {
      if (link.ackVersion < 2) throw new RenewUnsupportedError(String(chunk.nodeId));
      link.renew(chunk, record.offset);
      return;
    }
    this.settle(link, chunk, record.offset, ACK_CODES[type]);
  }

  private settle(
    link: BrokerLink,
    chunk: AcquiredChunk,
    offset: number,
    code: (typeof ACK_CODES)[keyof typeof ACK_CODES],
  ) {
    chunk.settled.set(offset, code);
    link.pending.add(chunk.topic, chunk.partition, chunk.topicId, offset, code);
    if (chunk.unsettled === 0) {
      link.held.delete(chunk);
      this.wake();
    }
  }

  /** Settles every unsettled record of `chunk` with `type` (implicit mode, close). */
  settleRest(chunk: AcquiredChunk, type: 'accept' | 'release' | 'reject'): void {
    if (chunk.abandoned) return;
    const link = this.link(chunk.nodeId);
    for (const r of chunk.records)
      if (!chunk.settled.has(r.offset)) this.settle(link, chunk, r.offset, ACK_CODES[type]);
  }

  private releaseChunks(chunks: AcquiredChunk[]): void {
    for (const c of chunks) this.settleRest(c, 'release');
  }

  /** The member lost what it holds (fenced): abandon every chunk and pending acknowledgement. */
  dropAll(reason: string): void {
    for (const l of this.links.values()) l.drop(reason);
    this.wake();
  }

  /** Sends every pending acknowledgement now (ShareAcknowledge per broker); the results per partition. */
  async commit(signal?: AbortSignal): Promise<ShareCommitResult[]> {
    const all = await Promise.all(
      [...this.links.values()].map((l) =>
        l
          .exclusive(() => l.acknowledge({ signal }))
          .catch((err) =>
            failedResults(
              l.pending.take(),
              (p) => new ShareAcknowledgeError(p.topic, p.partition, 'commit failed', err),
            ),
          ),
      ),
    );
    return all.flat();
  }

  /**
   * Stops fetching, releases everything still held (queued or in a handler past the close timeout),
   * sends the pending acknowledgements with epoch -1 (closing each share session, which also releases
   * anything acquired meanwhile) and returns their results.
   */
  async close(held: Iterable<AcquiredChunk>, deadline: number): Promise<ShareCommitResult[]> {
    this.running = false;
    if (this.leaderTimer) clearTimeout(this.leaderTimer);
    this.wake();
    await raceDeadline(Promise.allSettled([...this.loops.values()]), deadline);
    for (const c of held) this.settleRest(c, 'release');
    for (const l of this.links.values()) for (const c of [...l.held]) this.settleRest(c, 'release');
    const timeoutMs = Math.max(1, deadline - Date.now());
    const signal = AbortSignal.timeout(timeoutMs);
    const all = await Promise.all(
      [...this.links.values()].map((l) =>
        l
          .exclusive(() => l.acknowledge({ close: true, signal }))
          .catch((err) =>
            failedResults(
              l.pending.take(),
              (p) => new ShareAcknowledgeError(p.topic, p.partition, 'close failed', err),
            ),
          ),
      ),
    );
    this.abort.abort();
    return all.flat();
  }
}

function nameOf(code: number): string {
  return Object.entries(ACK_CODES).find(([, c]) => c === code)?.[0] ?? String(code);
}

function isRetriableLike(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { retriable?: unknown }).retriable === true;
}
