// The body of `sluice produce`, loaded only when the command runs.
import { createReadStream } from 'node:fs';
import { Producer } from '../producer/producer.js';
import type { Message } from '../producer/types.js';
import type { ProduceFlags } from './commands/produce.js';
import { type ConnectionFlags, clientOptions } from './connection.js';
import { ExitCode } from './exit-codes.js';
import { CliError, usage } from './fail.js';
import { unescapeKcat } from './format.js';

/** At most this many records per send() call, and send() calls in flight before reading more: bounds memory. */
const CHUNK = 1000;
const IN_FLIGHT = 8;

function parseHeaders(list: string[] | undefined): Array<{ key: string; value: string }> {
  return (list ?? []).map((h) => {
    const i = h.indexOf('=');
    if (i <= 0) throw usage(`-H expects key=value, got "${h}"`);
    return { key: h.slice(0, i), value: h.slice(i + 1) };
  });
}

/**
 * Splits a byte stream at `delim`, yielding the records each read completed: a line typed at a
 * terminal (or piped in slowly) is sent when it arrives, not when 1,000 have gathered. The last
 * piece counts only when it is not empty (a trailing newline ends a record, it does not start one).
 */
async function* records(input: AsyncIterable<Buffer>, delim: Buffer): AsyncGenerator<Buffer[]> {
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of input) {
    rest = rest.length ? Buffer.concat([rest, chunk]) : chunk;
    const out: Buffer[] = [];
    let from = 0;
    for (let i = rest.indexOf(delim, from); i !== -1; i = rest.indexOf(delim, from)) {
      out.push(rest.subarray(from, i));
      from = i + delim.length;
    }
    rest = rest.subarray(from);
    if (out.length) yield out;
  }
  if (rest.length) yield [rest];
}

/** The producer calls a partition the topic lacks a bad argument; to the CLI it is "not found" (exit 4). */
function notFoundPartition(err: unknown): unknown {
  const option = (err as { option?: unknown }).option;
  if (
    (err as { code?: unknown }).code === 'INVALID_CONFIG' &&
    typeof option === 'string' &&
    /\.partition$/.test(option)
  )
    return new CliError(
      (err as Error).message.replace(/^Invalid option "[^"]*": /, ''),
      ExitCode.NOT_FOUND,
      'CLI_NOT_FOUND',
    );
  return err;
}

export async function produce(flags: ProduceFlags & ConnectionFlags): Promise<number> {
  const client = clientOptions(flags);
  const headers = parseHeaders(flags.header);
  const delim = unescapeKcat(flags.delimiter);
  if (delim.length === 0) throw usage('-D must not be empty');
  const keyDelim = flags.keyDelimiter === undefined ? undefined : unescapeKcat(flags.keyDelimiter);
  if (keyDelim?.length === 0) throw usage('-K must not be empty');
  let partition: number | undefined;
  if (flags.partition !== undefined) {
    if (!/^\d+$/.test(flags.partition)) throw usage(`-p must be a partition number, got "${flags.partition}"`);
    partition = Number(flags.partition);
  }
  const acks = flags.acks === 'all' ? 'all' : (Number(flags.acks) as 0 | 1 | -1);
  const producer = new Producer({
    ...client,
    acks,
    compression: flags.compression as 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd',
    // Give up on a record after --timeout, as on everything else (delivery.timeout.ms must cover
    // linger.ms + request.timeout.ms).
    requestTimeoutMs: client.defaultApiTimeoutMs ?? 10_000,
    lingerMs: 5,
    maxBlockMs: client.defaultApiTimeoutMs ?? 10_000,
    deliveryTimeoutMs: (client.defaultApiTimeoutMs ?? 10_000) + 5,
  });
  const nullIfEmpty = (b: Buffer): Buffer | null => (flags.nullEmpty && b.length === 0 ? null : b);
  const toMessage = (line: Buffer): Message => {
    let key: Buffer | null = null;
    let value: Buffer | null = line;
    if (keyDelim) {
      const i = line.indexOf(keyDelim);
      if (i >= 0) {
        key = nullIfEmpty(line.subarray(0, i));
        value = line.subarray(i + keyDelim.length);
      }
    }
    return {
      key,
      value: value === null ? null : nullIfEmpty(Buffer.from(value)),
      ...(headers.length ? { headers } : {}),
      ...(partition !== undefined ? { partition } : {}),
    };
  };
  const input = flags.file ? createReadStream(flags.file) : process.stdin;
  const inFlight = new Set<Promise<unknown>>();
  let failure: unknown;
  let sent = 0;
  const send = (messages: Message[]) => {
    const p = producer.send({ topic: flags.topic, messages }).then(
      () => {
        sent += messages.length;
      },
      (err) => {
        failure ??= err;
      },
    );
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    input.destroy();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let batch: Message[] = [];
    try {
      for await (const lines of records(input as AsyncIterable<Buffer>, delim)) {
        for (const line of lines) {
          batch.push(toMessage(line));
          if (batch.length >= CHUNK) {
            send(batch);
            batch = [];
          }
        }
        // What this read completed goes out now; the producer batches (lingerMs) on its side.
        if (batch.length) send(batch);
        batch = [];
        while (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
        if (failure) break;
      }
    } catch (err) {
      if (!interrupted) {
        const e = err as NodeJS.ErrnoException;
        throw e.code === 'ENOENT' || e.code === 'EISDIR' || e.code === 'EACCES'
          ? usage(`cannot read ${flags.file}: ${e.message}`)
          : err;
      }
    }
    if (batch.length && !failure) send(batch);
    await Promise.all(inFlight);
    if (failure) throw notFoundPartition(failure);
    if (flags.verbose) process.stderr.write(`% Sent ${sent} records to ${flags.topic}\n`);
    return interrupted ? ExitCode.INTERRUPTED : ExitCode.OK;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await producer.close().catch(() => {});
  }
}
