import type { Command } from 'commander';

/** `sluice sink`: not written yet. */
export function register(_program: Command): void {}
