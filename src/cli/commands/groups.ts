import type { Command } from 'commander';

/** `sluice groups`: not written yet. */
export function register(_program: Command): void {}
