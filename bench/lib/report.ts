// Medians over runs, ratios to Sluice, and the markdown table the bench prints and saves.
import type { Measured } from './child.js';

export interface Row {
  suite: 'consume' | 'produce';
  scenario: string;
  client: string;
  runtime: string;
  runs: Measured[];
}

export interface Summary {
  suite: string;
  scenario: string;
  client: string;
  runtime: string;
  runs: number;
  recordsPerSec: number;
  /** Slowest and fastest run's records/s (the range around the median). */
  recordsPerSecRange?: [number, number];
  /** CPU-seconds (user + system) per million records: steadier than records/s on a shared 2-core machine. */
  cpuSPerMRecords?: number;
  /** Records/s over the ceiling client's on the same scenario (bench/clients/ceiling-consume.ts). */
  ceilingFraction?: number | null;
  /** Records/s between the first and the last record (excludes the wait for the first one). */
  steadyRecordsPerSec: number | null;
  mbPerSec: number;
  cpuS: number;
  maxRssMb: number;
  /** This client's records/s divided by Sluice's (the baseline row of the same scenario). */
  ratioToSluice: number | null;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The client every consumer is shown as a fraction of. */
export const CEILING = 'ceiling (protocol layer, CRC, no records)';

export function summarize(rows: Row[], baseline: (r: Summary) => boolean): Summary[] {
  const out: Summary[] = rows.map((r) => ({
    suite: r.suite,
    scenario: r.scenario,
    client: r.client,
    runtime: r.runtime,
    runs: r.runs.length,
    recordsPerSec: median(r.runs.map((m) => (m.result.records / m.result.ms) * 1000)),
    recordsPerSecRange: [
      Math.min(...r.runs.map((m) => (m.result.records / m.result.ms) * 1000)),
      Math.max(...r.runs.map((m) => (m.result.records / m.result.ms) * 1000)),
    ],
    cpuSPerMRecords: median(r.runs.map((m) => ((m.cpuUserS + m.cpuSysS) / m.result.records) * 1e6)),
    steadyRecordsPerSec: r.runs.every((m) => typeof m.result.firstToLastMs === 'number')
      ? median(r.runs.map((m) => (m.result.records / (m.result.firstToLastMs as number)) * 1000))
      : null,
    mbPerSec: median(r.runs.map((m) => m.result.bytes / 1e6 / (m.result.ms / 1000))),
    cpuS: median(r.runs.map((m) => m.cpuUserS + m.cpuSysS)),
    maxRssMb: median(r.runs.map((m) => m.maxRssMb)),
    ratioToSluice: null,
  }));
  for (const s of out) {
    const base = out.find((b) => b.suite === s.suite && b.scenario === s.scenario && baseline(b));
    s.ratioToSluice = base ? s.recordsPerSec / base.recordsPerSec : null;
    const ceiling = out.find((c) => c.suite === s.suite && c.scenario === s.scenario && c.client === CEILING);
    s.ceilingFraction = ceiling ? s.recordsPerSec / ceiling.recordsPerSec : null;
  }
  return out;
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function markdown(summaries: Summary[], machine: string[]): string {
  const lines = [...machine.map((m) => `- ${m}`), ''];
  const scenarios = [...new Set(summaries.map((s) => `${s.suite}|${s.scenario}`))];
  for (const key of scenarios) {
    const [suite, scenario] = key.split('|');
    lines.push(`### ${suite}: ${scenario}`, '');
    const steady = suite === 'consume';
    lines.push(
      `| client | runtime | records/s (median) | range | MB/s | CPU s | CPU s / M rec | peak RSS MB | vs Sluice |${steady ? ' of ceiling | first→last rec/s |' : ''}`,
      `|---|---|---:|---:|---:|---:|---:|---:|---:|${steady ? '---:|---:|' : ''}`,
    );
    for (const s of summaries.filter((x) => x.suite === suite && x.scenario === scenario)) {
      const ratio = s.ratioToSluice === null ? '—' : `${fmt(s.ratioToSluice, 2)}×`;
      const range = s.recordsPerSecRange
        ? `${fmt(s.recordsPerSecRange[0] / 1e6, 2)}–${fmt(s.recordsPerSecRange[1] / 1e6, 2)} M`
        : '—';
      const perM = s.cpuSPerMRecords === undefined ? '—' : fmt(s.cpuSPerMRecords, 2);
      const ceiling = s.ceilingFraction == null ? '—' : `${fmt(s.ceilingFraction * 100)}%`;
      const tail = steady ? ` ${ceiling} | ${s.steadyRecordsPerSec === null ? '—' : fmt(s.steadyRecordsPerSec)} |` : '';
      lines.push(
        `| ${s.client} | ${s.runtime} | ${fmt(s.recordsPerSec)} | ${range} | ${fmt(s.mbPerSec, 1)} | ${fmt(s.cpuS, 2)} | ${perM} | ${fmt(s.maxRssMb)} | ${ratio} |${tail}`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}
