// Default answers that read or write partition logs: Produce, InitProducerId, ListOffsets and Fetch.
import { currentLeader, type DefaultHandlers, E, findTopic, leaderError, nodeEndpoints, ZERO_UUID } from './common.js';
import { walkBatches } from './log.js';

const EMPTY = Buffer.alloc(0);

export const logHandlers: DefaultHandlers = {
  InitProducerId: (c) => ({
    throttleTimeMs: 0,
    errorCode: 0,
    producerId: c.nextProducerId(),
    producerEpoch: 0,
    ongoingTxnProducerId: -1n,
    ongoingTxnProducerEpoch: -1,
  }),

  Produce: (c, req, info) => {
    const leaders = new Set<number>();
    let appended = false;
    const responses = req.topicData.map((t) => {
      const { topic, error } = findTopic(c, t);
      return {
        name: topic?.name ?? t.name ?? '',
        topicId: topic?.topicId ?? t.topicId ?? ZERO_UUID,
        partitionResponses: t.partitionData.map((p) => {
          const log = topic?.partitions[p.index];
          const answer = (errorCode: number, baseOffset = -1) => ({
            index: p.index,
            errorCode,
            baseOffset: BigInt(baseOffset),
            logAppendTimeMs: -1n,
            logStartOffset: BigInt(log?.logStartOffset ?? -1),
            recordErrors: [],
            errorMessage: null,
            currentLeader:
              errorCode === E.NOT_LEADER_OR_FOLLOWER ? currentLeader(log) : { leaderId: -1, leaderEpoch: -1 },
          });
          if (error) return answer(error);
          if (!log) return answer(E.UNKNOWN_TOPIC_OR_PARTITION);
          const notLeader = leaderError(log, info.nodeId);
          if (notLeader) {
            if (log.leader >= 0) leaders.add(log.leader);
            return answer(notLeader);
          }
          // A broker validates what it appends: whole v2 batches with good CRCs.
          const records = p.records ?? EMPTY;
          const batches = walkBatches(records);
          if (!batches || batches.some((b) => !b.crcOk)) return answer(E.CORRUPT_MESSAGE);
          appended = true;
          return answer(0, log.appendBatches(records));
        }),
      };
    });
    if (appended) c.changed();
    if (req.acks === 0) return null;
    return { responses, throttleTimeMs: 0, nodeEndpoints: nodeEndpoints(c, [...leaders]) };
  },

  ListOffsets: (c, req, info) => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => {
      const topic = c.topics.get(t.name);
      return {
        name: t.name,
        partitions: t.partitions.map((p) => {
          const log = topic?.partitions[p.partitionIndex];
          const answer = (errorCode: number, offset = -1, timestamp = -1) => ({
            partitionIndex: p.partitionIndex,
            errorCode,
            timestamp: BigInt(timestamp),
            offset: BigInt(offset),
            leaderEpoch: log && !errorCode ? log.leaderEpoch : -1,
          });
          if (!log) return answer(E.UNKNOWN_TOPIC_OR_PARTITION);
          const err = leaderError(log, info.nodeId, p.currentLeaderEpoch ?? -1);
          if (err) return answer(err);
          const ts = Number(p.timestamp);
          if (ts === -1) return answer(0, log.endOffset); // latest (also the LSO: no open transactions)
          if (ts === -2 || ts === -4) return answer(0, log.logStartOffset); // earliest, earliest-local
          const found = log.offsetForTimestamp(ts);
          return answer(0, found.offset, found.timestamp);
        }),
      };
    }),
  }),

  Fetch: async (c, req, info) => {
    // Sessionless (KIP-227 allows a broker not to create sessions): session id 0, every request full.
    if ((req.sessionId ?? 0) !== 0 || (req.sessionEpoch ?? -1) > 0)
      return {
        throttleTimeMs: 0,
        errorCode: E.FETCH_SESSION_ID_NOT_FOUND,
        sessionId: 0,
        responses: [],
        nodeEndpoints: [],
      };
    const deadline = Date.now() + req.maxWaitMs;
    for (;;) {
      const res = readFetch(c, req, info.nodeId);
      // Answer when there is enough data, an error, or no more time; else park until the logs change.
      if (res.bytes >= req.minBytes || res.errors || Date.now() >= deadline || c.isClosed) return res.response;
      await c.waitForChange(deadline - Date.now());
    }
  },
};

type FetchReq = Parameters<NonNullable<DefaultHandlers['Fetch']>>[1];

function readFetch(c: Parameters<NonNullable<DefaultHandlers['Fetch']>>[0], req: FetchReq, nodeId: number) {
  let budget = req.maxBytes ?? 0x7fffffff;
  let bytes = 0;
  let errors = 0;
  const leaders = new Set<number>();
  const isolated = (req.isolationLevel ?? 0) === 1;
  const responses = req.topics.map((t) => {
    const { topic, error } = findTopic(c, t);
    return {
      topic: topic?.name ?? t.topic ?? '',
      topicId: topic?.topicId ?? t.topicId ?? ZERO_UUID,
      partitions: t.partitions.map((p) => {
        const log = topic?.partitions[p.partition];
        const answer = (errorCode: number, records: Buffer = EMPTY) => {
          if (errorCode) errors++;
          const notLeader = errorCode === E.NOT_LEADER_OR_FOLLOWER && log && log.leader >= 0;
          if (notLeader) leaders.add(log.leader);
          return {
            partitionIndex: p.partition,
            errorCode,
            highWatermark: BigInt(log?.endOffset ?? -1),
            lastStableOffset: BigInt(log?.endOffset ?? -1),
            logStartOffset: BigInt(log?.logStartOffset ?? -1),
            divergingEpoch: { epoch: -1, endOffset: -1n },
            currentLeader: notLeader ? currentLeader(log) : { leaderId: -1, leaderEpoch: -1 },
            snapshotId: { endOffset: -1n, epoch: -1 },
            abortedTransactions: isolated ? [] : null,
            preferredReadReplica: -1,
            records,
          };
        };
        if (error) return answer(error);
        if (!log) return answer(E.UNKNOWN_TOPIC_OR_PARTITION);
        const err = leaderError(log, nodeId, p.currentLeaderEpoch ?? -1);
        if (err) return answer(err);
        const offset = Number(p.fetchOffset);
        if (offset < log.logStartOffset || offset > log.endOffset) return answer(E.OFFSET_OUT_OF_RANGE);
        if (budget <= 0 || offset === log.endOffset) return answer(0);
        // KIP-74: the first batch of the response comes whole even when it exceeds the limits.
        const records = log.read(offset, Math.min(p.partitionMaxBytes, budget), bytes === 0);
        budget -= records.length;
        bytes += records.length;
        return answer(0, records);
      }),
    };
  });
  const response = {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses,
    nodeEndpoints: nodeEndpoints(c, [...leaders]),
  };
  return { response, bytes, errors };
}
