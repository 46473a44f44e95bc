// `sluice consume --share-group G`: print records as a member of a share group (KIP-932). Each
// printed record is accepted (the broker never delivers it again); with -c N exactly N are accepted
// and every other record this member was given is released, so the group's other members (or the
// next run) get it, with its delivery count incremented.
import { ShareConsumer } from '../share/share-consumer.js';
import type { ShareRecord } from '../share/types.js';
import type { ConsumeFlags } from './commands/consume.js';
import { type ConnectionFlags, clientOptions } from './connection.js';
import { ExitCode } from './exit-codes.js';
import { usage } from './fail.js';
import type { Formatter } from './format.js';
import { flushOut, stdoutClosed, whenStdoutClosed, writeOut } from './output.js';

/** Flags of plain `consume` that have no meaning for a share group; each is a usage error. */
export function checkShareFlags(flags: ConsumeFlags): void {
  const bad: string[] = [];
  if (flags.group !== undefined) bad.push('-g (a consumer group)');
  if (flags.partition !== undefined) bad.push('-p (the broker assigns partitions to share group members)');
  if (flags.offset !== undefined)
    bad.push("-o (a share group starts where its start offsets are: see 'sluice groups reset')");
  if (flags.exit) bad.push('-e (a share group has no end per member: use -c N)');
  if (bad.length) throw usage(`--share-group does not go with ${bad.join(', ')}`);
}

export async function consumeShare(
  flags: ConsumeFlags & ConnectionFlags,
  count: number | undefined,
  fmt: Formatter,
): Promise<number> {
  const groupId = flags.shareGroup!;
  const consumer = new ShareConsumer({ ...clientOptions(flags), groupId, acknowledgementMode: 'implicit' });
  let interrupted = false;
  let printed = 0;
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    // Not from inside the handler: close() waits for the handler in progress.
    setImmediate(() => void consumer.close().catch(() => {}));
  };
  const onSignal = () => {
    interrupted = true;
    finish();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  whenStdoutClosed(finish);
  try {
    consumer.subscribe(flags.topic);
    await consumer.run({
      eachMessage: async (r: ShareRecord, ctx) => {
        // Past -c, or after an interrupt: not printed, so not accepted — give it back.
        if (done) return ctx.acknowledge('release');
        await writeOut(fmt(r));
        if (stdoutClosed()) {
          finish();
          return ctx.acknowledge('release');
        }
        ctx.acknowledge('accept');
        printed++;
        if (count !== undefined && printed >= count) finish();
      },
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await flushOut();
    await consumer.close().catch(() => {});
  }
  if (!flags.quiet) process.stderr.write(`% Accepted ${printed} record(s) as a member of share group ${groupId}\n`);
  return interrupted ? ExitCode.INTERRUPTED : ExitCode.OK;
}
