import { Command, Option } from 'commander';
import { addMetricsOption, startConsumerMetrics } from '../../observability/metrics-cli.js';
import { withConnectionOptions } from '../connection.js';
import { checkDecoder } from '../decoders.js';
import { compileFormat } from '../format.js';
import { parseOffsetSpec } from '../offset-spec.js';
import { action } from '../run.js';

const EXAMPLES = `
Examples:
  $ sluice consume -b localhost:9092 -t orders -o beginning -e
  $ sluice consume -t orders -o -10 -e -f '%t [%p] @%o %T: %k=%s (%h)\\n'
  $ sluice consume -t orders -p 0 -o @1700000000000 -c 5 --json
  $ sluice consume -t orders -g audit          # as a member of group "audit", commits its progress
  $ sluice consume -t jobs --share-group workers -c 10   # takes 10 records from a share group, accepts them
`;

export interface ConsumeFlags {
  topic: string;
  group?: string;
  shareGroup?: string;
  partition?: string[];
  offset?: string;
  count?: string;
  exit?: boolean;
  format?: string;
  json?: boolean;
  keyDecoder: string;
  valueDecoder: string;
  quiet?: boolean;
  metricsPort?: number;
  metricsHost?: string;
}

/** `sluice consume`: kcat -C. */
export function register(program: Command): void {
  const cmd = new Command('consume')
    .description('print records of a topic, kcat-style')
    .requiredOption('-t, --topic <topic>', 'topic to read')
    .addOption(
      new Option('-g, --group <id>', 'consume as a member of this consumer group (commits offsets)').env(
        'SLUICE_GROUP',
      ),
    )
    .option(
      '--share-group <id>',
      'consume as a member of this share group (KIP-932): each printed record is accepted, others released',
    )
    .option('-p, --partition <n...>', 'read only these partitions (manual assignment)')
    .option('-o, --offset <spec>', 'start: beginning | end | stored | <N> | -<N> (N before the end) | @<timestamp ms>')
    .option('-c, --count <n>', 'exit after this many records')
    .option('-e, --exit', 'exit when the end of every partition is reached')
    .option('-f, --format <fmt>', 'kcat format string: %t %p %o %k %K %s %S %T %h, \\n \\t (default "%s\\n")')
    .option('-J, --json', 'one JSON object per record (kcat -J)')
    .addOption(new Option('--key-decoder <name>', 'how keys are shown: raw, utf8, hex, base64, json').default('raw'))
    .addOption(
      new Option('--value-decoder <name>', 'how values are shown: raw, utf8, hex, base64, json').default('raw'),
    )
    .option('-q, --quiet', 'no "% Reached end of partition" lines on stderr')
    .addHelpText('after', EXAMPLES);
  addMetricsOption(cmd);
  withConnectionOptions(cmd).action(
    action(async (flags: ConsumeFlags & Record<string, unknown>) => {
      // Everything that can be checked without a broker is checked first: a bad spec fails at once.
      const spec = flags.offset === undefined ? undefined : parseOffsetSpec(flags.offset);
      if (flags.format !== undefined && flags.json)
        throw (await import('../fail.js')).usage('-f and --json exclude each other');
      const format = flags.format === undefined ? undefined : compileFormat(flags.format);
      checkDecoder(flags.keyDecoder, '--key-decoder');
      checkDecoder(flags.valueDecoder, '--value-decoder');
      if (flags.shareGroup !== undefined) (await import('../share-consume.js')).checkShareFlags(flags);
      const { consume } = await import('../consume-run.js');
      // Before the consumer starts, so its first rebalance and fetches count.
      const metrics =
        flags.metricsPort === undefined
          ? undefined
          : await startConsumerMetrics(flags.metricsPort, { host: flags.metricsHost });
      if (metrics) process.stderr.write(`Metrics at ${metrics.url}\n`);
      try {
        return await consume(flags, spec, format);
      } finally {
        await metrics?.close();
      }
    }),
  );
  program.addCommand(cmd);
}
