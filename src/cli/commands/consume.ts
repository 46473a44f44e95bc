import type { Command } from 'commander';

/** `sluice consume`: not written yet. */
export function register(_program: Command): void {}
