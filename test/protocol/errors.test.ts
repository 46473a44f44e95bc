import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRetriable, SluiceError } from '../../src/errors.js';
import {
  errorByCode,
  errorByName,
  isKafkaError,
  KAFKA_ERRORS,
  KafkaError,
  KafkaErrorCodes,
  kafkaError,
  throwIfError,
} from '../../src/protocol/errors.js';

describe('Kafka error table', () => {
  it('has unique codes and names, NONE through the 4.4 codes', () => {
    const codes = KAFKA_ERRORS.map((e) => e.code);
    assert.equal(new Set(codes).size, codes.length);
    assert.equal(new Set(KAFKA_ERRORS.map((e) => e.name)).size, codes.length);
    // Contiguous from -1 (UNKNOWN_SERVER_ERROR) to the highest code: none missing.
    const max = Math.max(...codes);
    assert.ok(max >= 136, `highest code ${max}`);
    for (let c = -1; c <= max; c++) assert.ok(errorByCode(c) !== undefined, `code ${c} missing`);
    for (const e of KAFKA_ERRORS) {
      assert.match(e.name, /^[A-Z][A-Z0-9_]*$/);
      assert.ok(e.message.length > 0, e.name);
      assert.equal(KafkaErrorCodes[e.name], e.code);
      assert.equal(errorByName(e.name), e);
    }
  });

  it('marks the retriable errors as Java does', () => {
    for (const name of [
      'NOT_LEADER_OR_FOLLOWER',
      'UNKNOWN_TOPIC_OR_PARTITION',
      'LEADER_NOT_AVAILABLE',
      'COORDINATOR_LOAD_IN_PROGRESS',
      'COORDINATOR_NOT_AVAILABLE',
      'NOT_COORDINATOR',
      'REQUEST_TIMED_OUT',
      'NOT_ENOUGH_REPLICAS',
      'CONCURRENT_TRANSACTIONS',
      'FETCH_SESSION_ID_NOT_FOUND',
      'INVALID_FETCH_SESSION_EPOCH',
      'UNSTABLE_OFFSET_COMMIT',
      'THROTTLING_QUOTA_EXCEEDED',
    ]) {
      assert.equal(errorByName(name)?.retriable, true, name);
    }
    for (const name of [
      'NONE',
      'UNKNOWN_SERVER_ERROR',
      'OFFSET_OUT_OF_RANGE',
      'TOPIC_AUTHORIZATION_FAILED',
      'INVALID_REQUEST',
      'REBALANCE_IN_PROGRESS',
      'FENCED_INSTANCE_ID',
      'PRODUCER_FENCED',
      'UNSUPPORTED_VERSION',
    ]) {
      assert.equal(errorByName(name)?.retriable, false, name);
    }
  });

  it('carries the client actions', () => {
    assert.deepEqual(pick(errorByCode(6)!), {
      code: 6,
      name: 'NOT_LEADER_OR_FOLLOWER',
      retriable: true,
      refreshMetadata: true,
      coordinatorChanged: false,
      rejoinGroup: false,
      fenced: false,
    });
    assert.equal(errorByCode(14)!.name, 'COORDINATOR_LOAD_IN_PROGRESS');
    assert.equal(errorByCode(14)!.coordinatorChanged, false); // same coordinator, still loading: just retry
    assert.equal(errorByCode(15)!.coordinatorChanged, true);
    assert.equal(errorByCode(16)!.coordinatorChanged, true);
    assert.equal(errorByCode(27)!.name, 'REBALANCE_IN_PROGRESS');
    for (const code of [22, 25, 27, 79, 110]) assert.equal(errorByCode(code)!.rejoinGroup, true, String(code));
    assert.equal(errorByCode(82)!.name, 'FENCED_INSTANCE_ID');
    for (const code of [82, 90, 52]) assert.equal(errorByCode(code)!.fenced, true, String(code));
    for (const code of [3, 5, 6, 9, 56, 74, 100, 103])
      assert.equal(errorByCode(code)!.refreshMetadata, true, String(code));
    // Flags never appear on NONE, and fenced errors do not invite a retry.
    assert.deepEqual(pick(errorByCode(0)!), {
      code: 0,
      name: 'NONE',
      retriable: false,
      refreshMetadata: false,
      coordinatorChanged: false,
      rejoinGroup: false,
      fenced: false,
    });
    for (const e of KAFKA_ERRORS) if (e.fenced) assert.equal(e.retriable, false, e.name);
  });
});

function pick(e: NonNullable<ReturnType<typeof errorByCode>>) {
  const { code, name, retriable, refreshMetadata, coordinatorChanged, rejoinGroup, fenced } = e;
  return { code, name, retriable, refreshMetadata, coordinatorChanged, rejoinGroup, fenced };
}

describe('KafkaError', () => {
  it('is a SluiceError with the name as code, the number, flags and a readable message', () => {
    const err = kafkaError(6, { api: 'Produce', topic: 't', partition: 3 });
    assert.ok(err instanceof SluiceError);
    assert.ok(err instanceof KafkaError);
    assert.equal(err.name, 'KafkaError');
    assert.equal(err.code, 'NOT_LEADER_OR_FOLLOWER');
    assert.equal(err.errorCode, 6);
    assert.equal(err.retriable, true);
    assert.equal(isRetriable(err), true);
    assert.equal(err.refreshMetadata, true);
    assert.equal(err.topic, 't');
    assert.equal(err.partition, 3);
    assert.equal(
      err.message,
      'Kafka error NOT_LEADER_OR_FOLLOWER (6) from Produce for topic t partition 3: For requests intended only for the leader, this error indicates that the broker is not the current leader. For requests intended for any replica, this error indicates that the broker is not a replica of the topic partition.',
    );
  });

  it('names the group and appends the broker message', () => {
    const err = new KafkaError(27, { api: 'OffsetCommit', groupId: 'g1', serverMessage: 'rebalancing' });
    assert.equal(err.rejoinGroup, true);
    assert.equal(err.groupId, 'g1');
    assert.match(
      err.message,
      /^Kafka error REBALANCE_IN_PROGRESS \(27\) from OffsetCommit in group g1: .+ \(broker: rebalancing\)$/,
    );
  });

  it('keeps the number of an unknown code', () => {
    const err = kafkaError(9999);
    assert.equal(err.code, 'UNKNOWN_SERVER_ERROR');
    assert.equal(err.errorCode, 9999);
    assert.equal(err.retriable, false);
    assert.match(err.message, /UNKNOWN_SERVER_ERROR \(9999\).*not known to this client/);
  });

  it('throwIfError passes NONE and throws the rest', () => {
    throwIfError(0);
    assert.throws(
      () => throwIfError(16, { api: 'Heartbeat', groupId: 'g' }),
      (e: unknown) => isKafkaError(e, 'NOT_COORDINATOR') && e.coordinatorChanged && e.retriable,
    );
    assert.equal(isKafkaError(new Error('x')), false);
    assert.equal(isKafkaError(kafkaError(82), 'FENCED_INSTANCE_ID'), true);
    assert.equal(isKafkaError(kafkaError(82), 'NOT_COORDINATOR'), false);
  });
});
