import { parseArgs } from 'node:util';

/** The command-line options both suites take when run on their own. */
export function suiteArgs() {
  const { values } = parseArgs({
    options: {
      records: { type: 'string', default: '1000000' },
      size: { type: 'string', default: '100' },
      runs: { type: 'string', default: '3' },
      clients: { type: 'string' },
      node24: { type: 'boolean', default: false },
      confluent: { type: 'boolean', default: false },
    },
  });
  return {
    records: Number(values.records),
    size: Number(values.size),
    runs: Number(values.runs),
    clients: values.clients?.split(','),
    node24: values.node24,
    confluent: values.confluent,
  };
}
