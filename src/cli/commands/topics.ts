import type { Command } from 'commander';

/** `sluice topics`: not written yet. */
export function register(_program: Command): void {}
