import type { Command } from 'commander';

/** `sluice lag`: not written yet. */
export function register(_program: Command): void {}
