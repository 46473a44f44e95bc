import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { runCli } from './run-cli.js';

test('--help: every command has examples and lists the shared options; exits 0', async () => {
  for (const args of [['consume'], ['produce'], ['topics'], ['groups'], ['topics', 'create'], ['groups', 'reset']]) {
    const r = await runCli([...args, '--help']);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    const out = r.stdout.toString();
    if (args.length === 1) assert.match(out, /Examples:\n\s+\$ .*sluice /, args.join(' '));
    else assert.match(out, /--brokers <list>[\s\S]*--tls-ca[\s\S]*--sasl-mechanism/, args.join(' '));
  }
  const root = await runCli(['--help']);
  assert.equal(root.code, 0);
  assert.match(root.stdout.toString(), /consume[\s\S]*produce[\s\S]*topics[\s\S]*groups/);
});

test('usage mistakes commander finds exit 2', async () => {
  for (const args of [['nonsense'], ['consume', '-t', 'x', '--no-such-option'], ['topics', 'create']]) {
    const r = await runCli(args);
    assert.equal(r.code, ExitCode.USAGE, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /error: /);
  }
});
