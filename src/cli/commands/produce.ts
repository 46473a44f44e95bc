import { Command, Option } from 'commander';
import { withConnectionOptions } from '../connection.js';
import { action } from '../run.js';

const EXAMPLES = `
Examples:
  $ echo 'hello' | sluice produce -b localhost:9092 -t greetings
  $ printf 'user-1:{"n":1}\\nuser-2:{"n":2}\\n' | sluice produce -t events -K :
  $ sluice produce -t events -l records.txt -H source=import -H run=7 -z zstd -p 0
`;

export interface ProduceFlags {
  topic: string;
  partition?: string;
  keyDelimiter?: string;
  delimiter: string;
  header?: string[];
  file?: string;
  compression: string;
  acks: string;
  nullEmpty?: boolean;
}

/** `sluice produce`: kcat -P, one record per line of stdin (or of a file). */
export function register(program: Command): void {
  const cmd = new Command('produce')
    .description('send records read line by line from stdin or a file, kcat-style')
    .requiredOption('-t, --topic <topic>', 'topic to write to')
    .option('-p, --partition <n>', 'send every record to this partition (default: by key)')
    .option('-K, --key-delimiter <delim>', 'split each line at the first <delim> into key and value')
    .addOption(new Option('-D, --delimiter <delim>', 'record delimiter').default('\\n'))
    .option('-H, --header <key=value...>', 'add a header to every record (repeatable)')
    .option('-l, --file <path>', 'read records from this file instead of stdin')
    .addOption(
      new Option('-z, --compression <codec>', 'compression codec')
        .choices(['none', 'gzip', 'snappy', 'lz4', 'zstd'])
        .default('none'),
    )
    .addOption(new Option('--acks <n>', 'acks: all (-1), 1 or 0').choices(['all', '-1', '1', '0']).default('all'))
    .option('-Z, --null-empty', 'send an empty key or value as null (kcat -Z)')
    .addHelpText('after', EXAMPLES);
  withConnectionOptions(cmd).action(
    action(async (flags: ProduceFlags & Record<string, unknown>) => {
      const { produce } = await import('../produce-run.js');
      return produce(flags);
    }),
  );
  program.addCommand(cmd);
}
