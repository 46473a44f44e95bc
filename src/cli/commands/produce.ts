import type { Command } from 'commander';

/** `sluice produce`: not written yet. */
export function register(_program: Command): void {}
