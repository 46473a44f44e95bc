// Memory is bounded by configuration, not by backlog (DESIGN invariant 4), against the real broker:
// with 1M unconsumed records (~430 MiB) and a slow handler, a consumer process's RSS grows by about
// its `maxBufferedBytes` (plus the decoded record objects and a fixed overhead), and a larger setting
// lets it grow more. The backlog is several times larger than any bound checked here, so a consumer
// that pulled it in would fail. RSS is read twice: by the process itself, and by the OS's own peak
// (VmHWM in /proc/<pid>/status). Figures are printed; see MARGIN for what the bound allows.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { TestProducer } from '../helpers/produce.js';
import { type KafkaInfo, sharedKafka, uniqueName } from '../kafka/index.js';
import { Member, sleep } from './fixtures/children.js';

const MiB = 1024 * 1024;
const PARTITIONS = 8;
const PER_PARTITION = 125_000; // 1M records
const VALUE = Buffer.alloc(400, 'x').toString();
/** The backlog as stored (record overhead ~ 30 bytes per record in a batch). */
const BACKLOG = PARTITIONS * PER_PARTITION * (VALUE.length + 30);
const SAMPLE_MS = 10_000;
/**
 * What RSS may grow by beyond `maxBufferedBytes`. The consumer counts whole fetch responses (records
 * are views of them) and, while a chunk is decoded for delivery, its records' heap — so its own count
 * stays within the setting plus one decoded chunk. Measured on a 2-core machine: live growth after a
 * forced GC was 14 MiB with an 8 MiB buffer and 60 MiB with 32 MiB; without forcing GC, 44 and 82-110
 * MiB, the rest being garbage the collector has not reclaimed yet (V8's young generation alone grows
 * to 3 x 16 MiB semi-spaces at this allocation rate). So 2.5 x buffer + 48 MiB on top of the buffer:
 * proportional to the setting, which is the point — the backlog (1M records, 110 MiB on the wire,
 * ~400 MiB decoded) is never pulled in.
 */
const MARGIN = (buffer: number) => 2.5 * buffer + 48 * MiB;

let kafka: KafkaInfo;
let producer: TestProducer;
let dir: string;
let topic: string;

before(async () => {
  kafka = await sharedKafka();
  producer = new TestProducer(kafka.bootstrap);
  dir = mkdtempSync(path.join(tmpdir(), 'sluice-memory-'));
  topic = uniqueName('memory');
  await producer.createTopic(topic, PARTITIONS);
  await producer.fillGenerated(topic, PARTITIONS, PER_PARTITION, () => ({ value: VALUE }), { batch: 2000 });
});
after(() => {
  producer.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Sample {
  rss: number;
  heapUsed: number;
  arrayBuffers: number;
  buffered: number;
}

/** Runs a slow consumer child for SAMPLE_MS and returns its baseline and peak RSS. */
async function measure(maxBufferedBytes: number, maxPartitionFetchBytes: number) {
  const groupId = uniqueName('g');
  const child = new Member(
    `buffer-${maxBufferedBytes / MiB}MiB`,
    {
      bootstrap: kafka.bootstrap,
      groupId,
      topic,
      log: path.join(dir, `${groupId}.jsonl`),
      options: { maxBufferedBytes, maxPartitionFetchBytes, autoCommit: false },
      quiet: true,
      // Slow: about 1 ms per 10 records, so the buffer fills and stays full.
      pauseEvery: 10,
      pauseMs: 1,
      memEveryMs: 100,
    },
    ['--expose-gc'],
  );
  try {
    await child.until('baseline', () => child.events.some((e) => e.ev === 'mem' && e.baseline));
    const baseline = child.events.find((e) => e.ev === 'mem' && e.baseline) as unknown as Sample;
    await sleep(SAMPLE_MS);
    const samples = child.events.filter((e) => e.ev === 'mem' && !e.baseline) as unknown as Sample[];
    assert.ok(samples.length > SAMPLE_MS / 100 / 2, 'samples were taken');
    const peak = Math.max(...samples.map((s) => s.rss));
    const peakBuffered = Math.max(...samples.map((s) => s.buffered));
    const peakHeap = Math.max(...samples.map((s) => s.heapUsed)) - baseline.heapUsed;
    const peakArrayBuffers = Math.max(...samples.map((s) => s.arrayBuffers)) - baseline.arrayBuffers;
    const processed = child.processed;
    const osPeak = vmHwm(child.proc.pid!);
    await child.close();
    return {
      baseline: baseline.rss,
      peak,
      osPeak,
      osGrowth: osPeak - baseline.rss,
      growth: peak - baseline.rss,
      peakBuffered,
      peakHeap,
      peakArrayBuffers,
      processed,
    };
  } finally {
    await child.destroy();
  }
}

const fmt = (n: number) => `${(n / MiB).toFixed(1)} MiB`;

/** The peak resident set size of a process as the kernel counts it (Linux). */
function vmHwm(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmHWM for ${pid}`);
  return Number(m[1]) * 1024;
}

test('RSS follows maxBufferedBytes, not the 1M-record backlog', { timeout: 120000 }, async () => {
  const small = await measure(8 * MiB, 1 * MiB);
  const large = await measure(32 * MiB, 4 * MiB);
  const line = (name: string, buffer: number, r: typeof small) =>
    `${name}: baseline ${fmt(r.baseline)}, peak ${fmt(r.peak)} (OS peak ${fmt(r.osPeak)}), growth ${fmt(r.growth)} ` +
    `(limit ${fmt(buffer + MARGIN(buffer))}), peak buffered ${fmt(r.peakBuffered)}, ` +
    `heap +${fmt(r.peakHeap)}, array buffers +${fmt(r.peakArrayBuffers)}, ${r.processed} records processed`;
  console.log(`# ${line('8 MiB', 8 * MiB, small)}`);
  console.log(`# ${line('32 MiB', 32 * MiB, large)}`);

  for (const [buffer, r] of [
    [8 * MiB, small],
    [32 * MiB, large],
  ] as const) {
    assert.ok(r.processed < (PARTITIONS * PER_PARTITION) / 4, 'the backlog stayed far ahead of the handler');
    // The consumer's own count: over the limit by at most one decoded chunk (a chunk being decoded
    // is counted after its records exist) and one oversized batch (KIP-74).
    const chunk = buffer === 8 * MiB ? 1 * MiB : 4 * MiB;
    assert.ok(r.peakBuffered <= buffer + 2 * chunk, `buffered ${fmt(r.peakBuffered)} within ${fmt(buffer)} + 2 chunks`);
    assert.ok(r.growth < buffer + MARGIN(buffer), `RSS grew ${fmt(r.growth)} with a ${fmt(buffer)} buffer`);
    assert.ok(r.osGrowth < buffer + MARGIN(buffer), `OS peak RSS grew ${fmt(r.osGrowth)} with a ${fmt(buffer)} buffer`);
    // The bound can fail: the backlog is far larger than what it allows.
    assert.ok(BACKLOG > 2 * (buffer + MARGIN(buffer)), `backlog ${fmt(BACKLOG)} exceeds the bound`);
  }
  assert.ok(large.peakBuffered > small.peakBuffered * 2, 'a larger setting buffers more');
});
