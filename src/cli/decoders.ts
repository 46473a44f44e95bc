// How keys and values are shown: raw bytes (kcat's way), or decoded for the terminal / JSON output.
import { usage } from './fail.js';

export const DECODERS = ['raw', 'utf8', 'hex', 'base64', 'json'] as const;
export type DecoderName = (typeof DECODERS)[number];

export function checkDecoder(name: string, option: string): DecoderName {
  if (!(DECODERS as readonly string[]).includes(name))
    throw usage(`${option} must be one of ${DECODERS.join(', ')}, got "${name}"`);
  return name as DecoderName;
}

/** Bytes for the `-f` output (null stays null: it prints nothing). */
export function decodeBytes(name: DecoderName): (b: Buffer | null) => Buffer | null {
  if (name === 'raw' || name === 'utf8' || name === 'json') return (b) => b;
  return (b) => (b === null ? null : Buffer.from(b.toString(name), 'latin1'));
}

/** A value for `--json` output: a string, or the parsed JSON (its text when it does not parse). */
export function decodeForJson(name: DecoderName): (b: Buffer | null) => unknown {
  return (b) => {
    if (b === null) return null;
    if (name === 'hex' || name === 'base64') return b.toString(name);
    const text = b.toString('utf8');
    if (name !== 'json') return text;
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  };
}
