#!/usr/bin/env node
// `sluice`: the command-line tool. Each command lives in commands/<name>.ts and exports
// `register(program)`; command modules import only commander at load time and load the client
// (and its protocol codecs) inside their actions, so `sluice --help` starts fast.
import { Command } from 'commander';
import { register as consume } from './commands/consume.js';
import { register as groups } from './commands/groups.js';
import { register as lag } from './commands/lag.js';
import { register as produce } from './commands/produce.js';
import { register as sink } from './commands/sink.js';
import { register as topics } from './commands/topics.js';

export function program(): Command {
  const p = new Command('sluice')
    .description('Kafka from the command line: consume, produce, sink, topics, groups, lag')
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: false });
  for (const r of [consume, produce, sink, topics, groups, lag]) r(p);
  return p;
}

await program().parseAsync(process.argv);
