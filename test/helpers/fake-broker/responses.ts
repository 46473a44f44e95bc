// Generic edits of decoded responses, for error injection without knowing each API's shape: topics are
// objects with a `name`/`topic`/`topicId`, partitions are objects with an `errorCode` and a
// `partitionIndex`/`index`/`partition`.

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Buffer.isBuffer(v);

function partitionOf(o: Obj): number | undefined {
  for (const k of ['partitionIndex', 'index', 'partition']) if (typeof o[k] === 'number') return o[k] as number;
  return undefined;
}

function topicOf(o: Obj, nameOfId: (id: string) => string | undefined): string | undefined {
  for (const k of ['name', 'topic']) if (typeof o[k] === 'string' && o[k] !== '') return o[k] as string;
  return typeof o.topicId === 'string' ? nameOfId(o.topicId) : undefined;
}

/**
 * Sets `code` in `res`: with neither topic nor partition, the top-level error code (or every
 * partition's when there is none); otherwise in the matching partitions, or the matching topic's own
 * error code when only a topic is given and the topic has one. Returns whether anything was set.
 */
export function setErrorCode(
  res: unknown,
  code: number,
  match: { topic?: string; partition?: number },
  nameOfId: (id: string) => string | undefined,
): boolean {
  if (!isObj(res)) return false;
  const anyPlace = match.topic === undefined && match.partition === undefined;
  if (anyPlace && typeof res.errorCode === 'number') {
    res.errorCode = code;
    return true;
  }
  let hit = false;
  const walk = (o: Obj, topic: string | undefined, depth: number) => {
    if (depth > 6) return;
    const here = topicOf(o, nameOfId) ?? topic;
    const p = partitionOf(o);
    const topicOk = match.topic === undefined || match.topic === here;
    if (typeof o.errorCode === 'number' && depth > 0) {
      if (p !== undefined && topicOk && (match.partition === undefined || match.partition === p)) {
        o.errorCode = code;
        hit = true;
        return;
      }
      if (p === undefined && match.partition === undefined && match.topic !== undefined && topicOk && here !== topic) {
        o.errorCode = code; // a topic-level error (Metadata, CreateTopics…)
        hit = true;
        return;
      }
    }
    for (const v of Object.values(o)) {
      if (Array.isArray(v)) for (const item of v) if (isObj(item)) walk(item, here, depth + 1);
    }
  };
  walk(res, undefined, 0);
  return hit;
}
