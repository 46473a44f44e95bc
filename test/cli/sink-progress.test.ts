import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { etaSeconds, formatEta, ProgressDisplay, progressLogger } from '../../src/cli/progress.js';

/** A stream that records writes; `now` is a hand-moved clock. */
function fakeOut(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, out: { isTTY, columns: 200, write: (s: string) => writes.push(s) } };
}

describe('progress display', () => {
  test('ETA: lag / rate, formatted; unknown without a rate or a lag', () => {
    assert.equal(etaSeconds(1000, 100), 10);
    assert.equal(etaSeconds(0, 0), 0);
    assert.equal(etaSeconds(10, 0), undefined);
    assert.equal(etaSeconds(undefined, 100), undefined);
    assert.equal(formatEta(7.2), '0:08');
    assert.equal(formatEta(754), '12:34');
    assert.equal(formatEta(3723), '1:02:03');
    assert.equal(formatEta(undefined), '—');
  });

  test('on a terminal: one line rewritten in place, then a newline and the summary', () => {
    const { writes, out } = fakeOut(true);
    let t = 0;
    const d = new ProgressDisplay({ out, label: 'orders → sqlite:x.db', now: () => t, intervalMs: 60_000 });
    let stored = 0;
    let lag = 3000;
    d.start(() => ({ stored, lag }));
    t = 1000;
    stored = 1000;
    lag = 2000;
    d.tick();
    t = 2000;
    stored = 2000;
    lag = 1000;
    d.tick();
    d.finish('done: 2,000 records');
    const text = writes.join('');
    // Every redraw returns to column 0 and clears the line; no newline until the end.
    const redraws = text.split('\r\x1b[2K').slice(1);
    assert.ok(redraws.length >= 3, text);
    for (const r of redraws.slice(0, -1)) assert.ok(!r.includes('\n'), JSON.stringify(r));
    assert.match(redraws[0]!, /0 stored .*lag 3,000 {2}ETA —/);
    assert.match(redraws[1]!, /1,000 stored {2}1,000 records\/s {2}lag 2,000 {2}ETA 0:02/);
    assert.ok(text.endsWith('\ndone: 2,000 records\n'), JSON.stringify(text));
  });

  test('not a terminal: plain lines, no carriage returns or escapes', () => {
    const { writes, out } = fakeOut(false);
    let t = 0;
    const d = new ProgressDisplay({ out, label: 'x', now: () => t, intervalMs: 60_000 });
    let stored = 0;
    d.start(() => ({ stored, lag: 5 }));
    assert.equal(writes.length, 0, 'no line before the first interval');
    t = 5000;
    stored = 500;
    d.tick();
    d.finish('summary');
    const text = writes.join('');
    assert.ok(!text.includes('\r') && !text.includes('\x1b'), JSON.stringify(text));
    assert.deepEqual(
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => l.replace(/ {2}.*/, '')),
      ['x', 'x', 'summary'],
    );
    assert.match(writes[0]!, /500 stored {2}100 records\/s {2}lag 5 {2}ETA 0:01\n$/);
  });

  test('the rate covers the last few seconds, not the whole run', () => {
    const { out } = fakeOut(false);
    let t = 0;
    let stored = 0;
    const d = new ProgressDisplay({ out, label: 'x', now: () => t, intervalMs: 60_000 });
    d.start(() => ({ stored, lag: 0 }));
    // 10 s at 1000/s, then 10 s idle: the rate must fall to 0, not show the run's average.
    for (let i = 1; i <= 10; i++) {
      t = i * 1000;
      stored = i * 1000;
      d.tick();
    }
    assert.equal(Math.round(d.rate()), 1000);
    for (let i = 11; i <= 20; i++) {
      t = i * 1000;
      d.tick();
    }
    assert.equal(d.rate(), 0);
  });

  test('a warning on a terminal clears the line, prints, and redraws', () => {
    const { writes, out } = fakeOut(true);
    const d = new ProgressDisplay({ out, label: 'x', now: () => 0, intervalMs: 60_000 });
    d.start(() => ({ stored: 1, lag: 0 }));
    progressLogger(d).warn('store busy', { delay: 100 });
    const text = writes.join('');
    const clear = '\r\x1b[2K';
    assert.ok(text.includes(`${clear}sluice warning: store busy delay=100\n${clear}x  1 stored`), JSON.stringify(text));
    d.end();
    assert.ok(writes.join('').endsWith('\n'));
  });

  test('the line is cut to the terminal width', () => {
    const writes: string[] = [];
    const d = new ProgressDisplay({
      out: { isTTY: true, columns: 20, write: (s: string) => writes.push(s) },
      label: 'a-very-long-topic-name → sqlite:/some/long/path.db',
      intervalMs: 60_000,
    });
    d.start(() => ({ stored: 1, lag: 0 }));
    d.end();
    assert.equal(writes[0], `\r\x1b[2K${'a-very-long-topic-name'.slice(0, 19)}`);
  });
});
