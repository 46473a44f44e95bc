// Headless Chromium for the dashboard's tests and the docs' screenshot (tools/dashboard-screenshot.ts):
// Debian's `chromium` (the `chromium` test need) driven by puppeteer-core, which downloads no browser.
import puppeteer, { type Browser } from 'puppeteer-core';
import { requireChromium } from './chromium.js';

export async function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: requireChromium().bin,
    headless: true,
    // --no-sandbox: the tests run as root in CI containers, where Chromium's sandbox cannot start.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
    defaultViewport: { width: 1280, height: 900 },
  });
}

/** What the page shows of one group, read from its DOM (data attributes set by the page's script). */
export interface ShownGroup {
  groupId: string;
  status: string;
  protocol: string;
  totalLag: number;
  members: { memberId: string; owned: string }[];
  /** Data attributes: '' where the figure is none (a share group has `start` instead of `committed`). */
  partitions: { key: string; committed: string; start: string; end: string; lag: string }[];
}

/**
 * Reads every group section of the page (an expression run in the browser: the project's TypeScript
 * has no DOM types). Evaluates to ShownGroup[].
 */
export const READ_GROUPS = `[...document.querySelectorAll('[data-group]')].map((g) => ({
  groupId: g.dataset.group,
  status: g.dataset.status,
  protocol: g.dataset.protocol,
  totalLag: Number(g.dataset.totalLag),
  members: [...g.querySelectorAll('[data-member]')].map((m) => ({
    memberId: m.dataset.member,
    owned: m.querySelector('.owned').textContent,
  })),
  partitions: [...g.querySelectorAll('[data-partition]')].map((p) => ({
    key: p.dataset.partition,
    committed: p.dataset.committed,
    start: p.dataset.start,
    end: p.dataset.end,
    lag: p.dataset.lag,
  })),
}))`;

/** The number of points (rounds) in the uPlot chart of `key` (lag, produceRate, consumeRate). */
export const chartPoints = (key: string) => `window.sluiceCharts?.${key}?.data[0].length ?? -1`;

/**
 * The values uPlot holds for one series (by its label) of the chart of `key`, nulls (rounds where the
 * series had no value) left out; -1 when the chart or the series is missing.
 */
export const seriesValues = (key: string, label: string) => `(() => {
  const u = window.sluiceCharts?.${key};
  const i = u ? u.series.findIndex((s) => s.label === ${JSON.stringify(label)}) : -1;
  return i < 1 ? -1 : u.data[i].filter((v) => v !== null);
})()`;
