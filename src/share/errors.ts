import { SluiceError } from '../errors.js';

/** The share group membership hit an error it cannot recover from; the share consumer stops. */
export class ShareGroupFatalError extends SluiceError {
  constructor(
    readonly groupId: string,
    cause: unknown,
  ) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`Share group "${groupId}" failed: ${why}`, {
      code: cause instanceof SluiceError ? cause.code : 'SHARE_GROUP_FAILED',
      cause,
    });
  }
}

/** The broker has no share groups (KIP-932): Kafka before 4.1, or 4.1 without the share.version feature. */
export class ShareGroupUnsupportedError extends SluiceError {
  constructor(
    readonly groupId: string,
    broker: string,
    detail = 'it does not offer ShareGroupHeartbeat v1',
  ) {
    super(
      `Broker ${broker} does not support share groups (KIP-932), needed by share group "${groupId}": ${detail}. Share groups need Kafka 4.2+ (production), or 4.1 with the share.version=1 feature (preview)`,
      { code: 'SHARE_GROUP_UNSUPPORTED', retriable: false },
    );
  }
}

/** `renew` needs ShareAcknowledge v2 (KIP-1222, Kafka 4.2+) on the partition's leader. */
export class RenewUnsupportedError extends SluiceError {
  constructor(broker: string) {
    super(
      `Broker ${broker} does not support renewing a record's acquisition lock (ShareAcknowledge v2, KIP-1222, Kafka 4.2+)`,
      { code: 'RENEW_UNSUPPORTED', retriable: false },
    );
  }
}

/**
 * Acknowledgements that could not be applied because the member lost its records first (fenced, a
 * share session lost, the consumer closing before they were sent): the broker releases such records
 * when their lock expires or the member leaves, and delivers them again.
 */
export class ShareAcknowledgeError extends SluiceError {
  constructor(
    readonly topic: string,
    readonly partition: number,
    why: string,
    cause?: unknown,
  ) {
    super(`Acknowledgements for ${topic}-${partition} were not applied: ${why}`, {
      code: 'SHARE_ACKNOWLEDGE_FAILED',
      retriable: false,
      cause,
    });
  }
}
