// The HTML report in a real headless browser (Debian's chromium, driven by playwright-core): it
// loads from a file:// URL with no console error and no network request, lists every incident,
// draws the lanes, and following an incident link highlights its band and its details.
// `.ci/run` installs chromium; without it this test fails and says how to install it.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeRecords, timelineOf } from '../../src/report/analyze.js';
import { renderHtml } from '../../src/report/html.js';
import { asyncFailover, legitimateStall, pausedPrimary, replicaCut } from './fixtures/scenarios.js';

const CHROMIUM = '/usr/bin/chromium';

describe('HTML report in headless chromium', () => {
  let ctx: BrowserContext;
  let dir: string;
  let profile: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} not found: the HTML report test needs Debian's chromium (apt-get install -y --no-install-recommends chromium; .ci/run does this)`);
    }
    dir = mkdtempSync(join(tmpdir(), 'haywire-html-'));
    profile = mkdtempSync(join(tmpdir(), 'haywire-chromium-'));
    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);

  afterAll(async () => {
    await ctx?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('loads with no console error, no network request, and shows and links every incident', async () => {
    const analyses = [
      analyzeRecords(pausedPrimary().records(), { traceHash: '0123456789abcdef', expect: { splitBrain: 'none' } }),
      analyzeRecords(replicaCut({ reads: true }).records(), { traceHash: 'fedcba9876543210' }),
      analyzeRecords(asyncFailover().records(), { scenario: 'scenarios/<script>alert(1)</script>.yaml' }),
      analyzeRecords(legitimateStall('pause').records()),
    ];
    const file = join(dir, 'report.html');
    writeFileSync(file, renderHtml(analyses.map((a) => ({ result: a.result, timeline: timelineOf(a) }))));
    const url = pathToFileURL(file).href;

    const page = await ctx.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForSelector('html[data-ready="true"]');

    const total = analyses.reduce((a, x) => a + x.result.incidents.length, 0);
    expect(total).toBeGreaterThanOrEqual(7);
    expect(await page.locator('nav#incidents li').count()).toBe(total);
    expect(await page.locator('article.incident').count()).toBe(total);
    expect(await page.locator('svg.lanes rect.band').count()).toBe(total);
    const kinds = await page.locator('nav#incidents li a').allTextContents();
    expect(new Set(kinds)).toEqual(new Set(['split-brain', 'lost-write', 'divergence', 'false-failover', 'undetected-partition', 'missed-failover']));
    // lanes: every node of every run has role segments; the primary is drawn
    expect(await page.locator('svg.lanes').count()).toBe(4);
    expect(await page.locator('svg.lanes rect.role-primary').count()).toBeGreaterThanOrEqual(4);
    expect(await page.locator('svg.lanes rect.leader').count()).toBeGreaterThan(0);
    expect(await page.locator('svg.lanes rect.fault').count()).toBeGreaterThan(0);
    expect(await page.locator('svg.lanes rect.agent').count()).toBeGreaterThan(0);
    // the explanation is on the page, and a hostile scenario name is text, not markup
    expect(await page.textContent('body')).toContain('pg1 kept accepting writes for 12 s after pg2 was promoted');
    expect(await page.textContent('body')).toContain('scenarios/<script>alert(1)</script>.yaml');

    // follow the split-brain link: its details and its band are highlighted
    const sb = analyses[0]!.result.incidents.find((i) => i.kind === 'split-brain')!;
    await page.click(`nav#incidents a[href="#inc-0-${sb.id}"]`);
    await page.waitForSelector(`article#inc-0-${sb.id}.active`);
    expect(await page.getAttribute(`#band-0-${sb.id}`, 'class')).toContain('active');
    // clicking a band in the lanes goes to its incident
    const ff = analyses[0]!.result.incidents.find((i) => i.kind === 'false-failover')!;
    await page.locator(`#band-0-${ff.id}`).dispatchEvent('click');
    await page.waitForSelector(`article#inc-0-${ff.id}.active`);

    expect(problems).toEqual([]);
    expect(requests.every((r) => r.startsWith('file://'))).toBe(true);
    await page.close();
  }, 60_000);
});
