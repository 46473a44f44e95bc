#!/usr/bin/env node
// `sluice`: the command-line tool. Each command lives in commands/<name>.ts and exports
// `register(program)`; command modules import only commander at load time and load the client
// (and its protocol codecs) inside their actions, so `sluice --help` starts fast.
import { Command } from 'commander';
import { register as consume } from './commands/consume.js';
import { register as dashboard } from './commands/dashboard.js';
import { register as groups } from './commands/groups.js';
import { register as lag } from './commands/lag.js';
import { register as produce } from './commands/produce.js';
import { register as sink } from './commands/sink.js';
import { register as topics } from './commands/topics.js';
import { applyConfigFile } from './connection.js';
import { ExitCode } from './exit-codes.js';
import { reportError } from './fail.js';
import { packageVersion } from './version.js';

export function program(): Command {
  const p = new Command('sluice')
    .description('Kafka from the command line: consume, produce, sink, topics, groups, lag, dashboard')
    .version(packageVersion(), '-V, --version', 'print the version of sluice')
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: false })
    .addHelpText(
      'after',
      `
Every option also comes from an environment variable (SLUICE_BROKERS, SLUICE_SASL_PASSWORD, …) or a
JSON config file (--config, SLUICE_CONFIG); a flag wins over the environment, which wins over the file.

Exit codes: 0 done, 1 failure, 2 usage (bad option, offset spec or format string), 3 no broker
reachable / TLS / SASL, 4 unknown topic, partition or group, 5 sink store, 130 interrupted.
See docs/cli.md.`,
    )
    // Usage mistakes commander finds (unknown option, missing argument) exit with USAGE, not 1.
    .exitOverride((err) => {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
        process.exit(ExitCode.OK);
      process.exit(err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE);
    })
    .hook('preAction', (_root, actionCommand) => {
      if (actionCommand.options.some((o) => o.attributeName() === 'config')) applyConfigFile(actionCommand);
    });
  for (const r of [consume, produce, sink, topics, groups, lag, dashboard]) r(p);
  // Subcommands (and theirs) share the exit-code handling.
  const share = (cmd: Command) => {
    for (const sub of cmd.commands) {
      sub.exitOverride((err) => process.exit(err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE));
      share(sub);
    }
  };
  share(p);
  return p;
}

try {
  await program().parseAsync(process.argv);
} catch (err) {
  process.exitCode = reportError(err);
}
