// The progress display of long-running commands (`sluice sink`, the demo): records stored, records/s,
// lag remaining and an ETA. On a terminal it is one line rewritten in place; elsewhere (a pipe, a log
// file, CI) it is a plain line every few seconds, because carriage returns make logs unreadable.
import type { Logger } from '../logger.js';

/** What the display shows; read by the display on every tick. */
export interface ProgressSample {
  /** Records stored since the command started. */
  stored: number;
  /** Records between the stored positions and the end of the log; undefined while unknown. */
  lag: number | undefined;
}

/** The part of a stream the display needs (process.stderr satisfies it). */
export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean | undefined;
  columns?: number | undefined;
}

export interface ProgressOptions {
  out: ProgressOutput;
  /** What is being done, e.g. `orders → sqlite:./x.db`. */
  label: string;
  /** Milliseconds between updates. Default 250 on a terminal, 5000 otherwise. */
  intervalMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** The rate is measured over this window, so it follows changes without jumping on every batch. */
const RATE_WINDOW_MS = 5000;
const CLEAR_LINE = '\r\x1b[2K';

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** `0:07`, `12:34`, `1:02:03`; `—` when unknown (no rate yet). */
export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.ceil(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** ETA in seconds: lag / rate; undefined without a lag or while nothing moves. */
export function etaSeconds(lag: number | undefined, ratePerSecond: number): number | undefined {
  if (lag === undefined) return undefined;
  if (lag === 0) return 0;
  return ratePerSecond > 0 ? lag / ratePerSecond : undefined;
}

export function formatProgressLine(label: string, stored: number, rate: number, lag: number | undefined): string {
  const lagText = lag === undefined ? '?' : formatCount(lag);
  return (
    `${label}  ${formatCount(stored)} stored  ${formatCount(rate)} records/s  ` +
    `lag ${lagText}  ETA ${formatEta(etaSeconds(lag, rate))}`
  );
}

export class ProgressDisplay {
  readonly tty: boolean;
  private readonly out: ProgressOutput;
  private readonly label: string;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly started: number;
  /** (time, stored) pairs within the rate window, oldest first. */
  private samples: Array<[number, number]> = [];
  private timer: NodeJS.Timeout | undefined;
  private source: (() => ProgressSample) | undefined;
  /** A line is on screen without its newline (terminal mode). */
  private open = false;
  private finished = false;

  constructor(options: ProgressOptions) {
    this.out = options.out;
    this.tty = options.out.isTTY === true;
    this.label = options.label;
    this.intervalMs = options.intervalMs ?? (this.tty ? 250 : 5000);
    this.now = options.now ?? Date.now;
    this.started = this.now();
  }

  /** Starts updating from `source` every interval (the timer does not keep the process alive). */
  start(source: () => ProgressSample): void {
    this.source = source;
    this.samples = [[this.now(), source().stored]];
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
    if (this.tty) this.tick();
  }

  /** Records/s over the last few seconds (since the start until a window has passed). */
  rate(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last[0] <= first[0]) return 0;
    return ((last[1] - first[1]) * 1000) / (last[0] - first[0]);
  }

  /** Takes a sample and draws it: in place on a terminal, as a new line otherwise. */
  tick(): void {
    if (this.finished || !this.source) return;
    const { stored, lag } = this.source();
    const t = this.now();
    this.samples.push([t, stored]);
    // Keep one sample at or before the window's start, so the rate spans the whole window.
    while (this.samples.length > 2 && this.samples[1]![0] <= t - RATE_WINDOW_MS) this.samples.shift();
    const line = formatProgressLine(this.label, stored, this.rate(), lag);
    if (this.tty) {
      const width = this.out.columns && this.out.columns > 1 ? this.out.columns - 1 : line.length;
      this.out.write(`${CLEAR_LINE}${line.slice(0, width)}`);
      this.open = true;
    } else {
      this.out.write(`${line}\n`);
    }
  }

  /** Prints a message (a warning) without breaking the progress line: it is redrawn after. */
  message(text: string): void {
    if (this.open) this.out.write(CLEAR_LINE);
    this.out.write(`${text}\n`);
    this.open = false;
    if (this.tty && !this.finished && this.source) this.tick();
  }

  /** Stops updating; the last line gets its newline, then the summary is printed. */
  finish(summary: string): void {
    if (this.finished) return;
    if (this.timer) clearInterval(this.timer);
    this.tick();
    this.finished = true;
    if (this.open) this.out.write('\n');
    this.open = false;
    this.out.write(`${summary}\n`);
  }

  /** Stops updating without a summary (an error follows); a line on screen gets its newline. */
  end(): void {
    if (this.finished) return;
    if (this.timer) clearInterval(this.timer);
    this.finished = true;
    if (this.open) this.out.write('\n');
    this.open = false;
  }

  /** Seconds since the display was made. */
  elapsedSeconds(): number {
    return (this.now() - this.started) / 1000;
  }
}

/**
 * A logger that writes through the display, so messages don't garble its line. Errors are left out:
 * the command prints the error that stopped it as its one last line.
 */
export function progressLogger(display: ProgressDisplay, level: 'warn' | 'none' = 'warn'): Logger {
  const line = (name: string) => (message: string, fields?: Record<string, unknown>) => {
    const parts = Object.entries(fields ?? {}).map(
      ([k, v]) => `${k}=${v instanceof Error ? v.message : typeof v === 'string' ? v : JSON.stringify(v)}`,
    );
    display.message(`sluice ${name}: ${message}${parts.length ? ` ${parts.join(' ')}` : ''}`);
  };
  const quiet = () => {};
  return { debug: quiet, info: quiet, warn: level === 'warn' ? line('warning') : quiet, error: quiet };
}
