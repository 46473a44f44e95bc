import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/errors.js';
import {
  evaluatePartition,
  type LagStatus,
  type OffsetSample,
  SampleWindow,
  sampleLag,
  worstStatus,
} from '../../src/observability/lag-status.js';

// A recorded series: [committedOffset, logEndOffset] per sample, 5 s apart, owned by `owner`
// (or per sample when an owners array is given).
function series(points: Array<[number | null, number]>, owner: string | null | Array<string | null> = 'c1/10.0.0.1') {
  return points.map(
    ([committedOffset, logEndOffset], i): OffsetSample => ({
      time: 1_700_000_000_000 + i * 5000,
      committedOffset,
      logEndOffset,
      owner: Array.isArray(owner) ? (owner[i] ?? null) : owner,
    }),
  );
}

const cases: Array<{
  name: string;
  points: Array<[number | null, number]>;
  owner?: string | null | Array<string | null>;
  want: LagStatus | null;
}> = [
  // Not enough to judge motion.
  { name: 'no samples', points: [], want: null },
  { name: 'one sample with lag', points: [[10, 50]], want: null },
  { name: 'one sample caught up', points: [[50, 50]], want: null },
  // OK
  {
    name: 'caught up throughout',
    points: [
      [100, 100],
      [120, 120],
      [150, 150],
    ],
    want: 'OK',
  },
  {
    name: 'idle topic, caught up',
    points: [
      [7, 7],
      [7, 7],
      [7, 7],
      [7, 7],
    ],
    want: 'OK',
  },
  {
    name: 'lag 0 once in the window',
    points: [
      [100, 130],
      [130, 130],
      [140, 170],
    ],
    want: 'OK',
  },
  {
    name: 'lag 0 only at the start, now stuck',
    points: [
      [100, 100],
      [100, 140],
      [100, 180],
    ],
    want: 'OK',
  },
  {
    name: 'catching up',
    points: [
      [0, 1000],
      [300, 1100],
      [700, 1200],
      [1150, 1250],
    ],
    want: 'OK',
  },
  {
    name: 'lag goes up then down',
    points: [
      [0, 100],
      [50, 200],
      [150, 210],
    ],
    want: 'OK',
  },
  {
    name: 'empty partition, never committed',
    points: [
      [null, 0],
      [null, 0],
    ],
    want: 'OK',
  },
  {
    name: 'committed mid-window, lag shrinking',
    points: [
      [null, 0],
      [null, 0],
      [0, 40],
      [30, 40],
    ],
    want: 'OK',
  },
  // WARN
  {
    name: 'committing but lag growing',
    points: [
      [0, 100],
      [50, 200],
      [100, 300],
      [150, 400],
    ],
    want: 'WARN',
  },
  {
    name: 'committing, lag constant',
    points: [
      [0, 100],
      [100, 200],
      [200, 300],
    ],
    want: 'WARN',
  },
  {
    name: 'committing, lag flat then up',
    points: [
      [0, 100],
      [100, 200],
      [150, 300],
    ],
    want: 'WARN',
  },
  // STALL: owned, offset not moving, lag > 0 all along
  {
    name: 'stuck with fixed lag',
    points: [
      [500, 600],
      [500, 600],
      [500, 600],
    ],
    want: 'STALL',
  },
  {
    name: 'stuck with growing lag',
    points: [
      [500, 600],
      [500, 700],
      [500, 800],
    ],
    want: 'STALL',
  },
  // STOP: nobody owns it
  {
    name: 'no owner, lag not moving',
    points: [
      [500, 600],
      [500, 600],
    ],
    owner: null,
    want: 'STOP',
  },
  {
    name: 'owner left mid-window',
    points: [
      [500, 600],
      [500, 650],
      [500, 700],
    ],
    owner: ['c1/h', 'c1/h', null],
    want: 'STOP',
  },
  {
    name: 'owner came back: stall, not stop',
    points: [
      [500, 600],
      [500, 600],
    ],
    owner: [null, 'c2/h'],
    want: 'STALL',
  },
  {
    name: 'no owner but caught up',
    points: [
      [600, 600],
      [600, 600],
    ],
    owner: null,
    want: 'OK',
  },
  // Owned, never committed (a consumer that started at the log end commits once it processed a record)
  {
    name: 'owned, no commit, no new records',
    points: [
      [null, 10],
      [null, 10],
      [null, 10],
    ],
    want: 'OK',
  },
  {
    name: 'owned, no commit, records arriving',
    points: [
      [null, 10],
      [null, 15],
      [null, 20],
    ],
    want: 'STALL',
  },
  { name: 'owned, no commit, one sample', points: [[null, 10]], want: null },
  // ERR
  { name: 'no commit, log has records, no owner', points: [[null, 10]], owner: null, want: 'ERR' },
  {
    name: 'owner left a never-committed partition',
    points: [
      [null, 10],
      [null, 10],
    ],
    owner: ['c1/h', null],
    want: 'ERR',
  },
  {
    name: 'no commit over the window, no owner',
    owner: null,
    points: [
      [null, 10],
      [null, 20],
    ],
    want: 'ERR',
  },
  {
    name: 'committed offset went backwards (reset)',
    points: [
      [500, 600],
      [100, 600],
      [200, 600],
    ],
    want: 'ERR',
  },
  {
    name: 'commit disappeared (offsets deleted)',
    points: [
      [500, 600],
      [null, 600],
      [null, 0],
    ],
    want: 'ERR',
  },
  {
    name: 'log end went backwards (topic recreated)',
    points: [
      [50, 50],
      [50, 60],
      [0, 10],
    ],
    want: 'ERR',
  },
  {
    name: 'rewind even though lag 0 later',
    points: [
      [10, 10],
      [5, 10],
      [10, 10],
    ],
    want: 'ERR',
  },
];

describe('evaluatePartition: recorded offset series', () => {
  for (const c of cases) {
    it(`${c.name} → ${c.want ?? 'not evaluated'}`, () => {
      const verdict = evaluatePartition(series(c.points, c.owner));
      assert.equal(verdict.status, c.want, verdict.reason);
      assert.ok(verdict.reason.length > 0);
    });
  }
});

describe('worstStatus', () => {
  it('orders OK < WARN < STALL < STOP < ERR and ignores unevaluated partitions', () => {
    assert.equal(worstStatus([]), null);
    assert.equal(worstStatus([null, null]), null);
    assert.equal(worstStatus(['OK', null]), 'OK');
    assert.equal(worstStatus(['OK', 'WARN', 'OK']), 'WARN');
    assert.equal(worstStatus(['STOP', 'WARN', 'STALL']), 'STOP');
    assert.equal(worstStatus(['STOP', 'ERR', 'OK']), 'ERR');
  });
});

describe('sampleLag', () => {
  it('is end − committed, never negative, null without a commit', () => {
    assert.equal(sampleLag({ time: 0, committedOffset: 3, logEndOffset: 10, owner: null }), 7);
    assert.equal(sampleLag({ time: 0, committedOffset: 12, logEndOffset: 10, owner: null }), 0);
    assert.equal(sampleLag({ time: 0, committedOffset: null, logEndOffset: 10, owner: null }), null);
  });
});

describe('SampleWindow', () => {
  const s = (c: number, e: number): OffsetSample => ({ time: 0, committedOffset: c, logEndOffset: e, owner: null });

  it('keeps the last N samples per partition and forgets partitions no longer reported', () => {
    const w = new SampleWindow(3);
    for (let i = 0; i < 5; i++) {
      w.add(
        new Map([
          ['a:0', s(i, 10)],
          ['b:0', s(i * 2, 10)],
        ]),
      );
    }
    assert.deepEqual(
      w.samples('a:0').map((x) => x.committedOffset),
      [2, 3, 4],
    );
    w.add(new Map([['a:0', s(5, 10)]]));
    assert.deepEqual(w.samples('b:0'), []);
    assert.equal(w.samples('a:0').length, 3);
  });

  it('rejects a window that is not a positive integer with a ConfigError', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) assert.throws(() => new SampleWindow(bad), ConfigError);
  });
});
