// The HTML audit report in headless Chromium (Debian's, driven by playwright-core): it renders without console
// errors or network requests, the summary, findings and filters work, and the graph shows namespaces and exposure.

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReachGraph } from '../../src/core/audit/graph.js';
import type { CheckInfo, Finding } from '../../src/core/audit/types.js';
import { Connectivity } from '../../src/core/engine/connectivity.js';
import { renderAudit } from '../../src/report/audit.js';
import { runCli } from '../run-cli.js';
import { PROJECT_ROOT } from '../shared.js';
import { loadStorefront } from './storefront.js';

const CHROMIUM = process.env['BULKHEAD_CHROMIUM'] ?? '/usr/bin/chromium';
/** The flags this machine kind needs: no sandbox as root, and no background connections to a closed network. */
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const STOREFRONT = join(PROJECT_ROOT, 'examples', 'storefront');
/** `UPDATE_SCREENSHOTS=1` refreshes the README's picture; otherwise it goes to a temporary directory. */
const SCREENSHOT_DOCS = join(PROJECT_ROOT, 'docs', 'audit-report.png');

function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env['CI'] === 'true')
    throw new Error(`Chromium is missing at ${CHROMIUM}; .ci/run installs Debian's chromium package`);
  console.warn(`skipping the browser tests: no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  return false;
}

const available = chromiumAvailable();

interface Opened {
  readonly page: Page;
  readonly errors: string[];
  readonly requests: string[];
}

describe.skipIf(!available)('HTML audit report in Chromium', () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bulkhead-html-'));
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function open(html: string, name: string): Promise<Opened> {
    const file = join(dir, name);
    writeFileSync(file, html);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) requests.push(r.url());
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    return { page, errors, requests };
  }

  it('renders the storefront report: summary, findings table, graph with namespaces and exposed workloads', async () => {
    // Relative paths when run from the project, as a user would type them (the report shows them).
    const input = process.cwd() === PROJECT_ROOT ? 'examples/storefront' : STOREFRONT;
    const result = await runCli(['audit', input, '--format', 'html']);
    expect(result.code, result.stderr).toBe(0);
    const { page, errors, requests } = await open(result.stdout, 'storefront.html');

    expect(await page.title()).toBe('Bulkhead audit report');
    expect(await page.locator('#summary .card').count()).toBeGreaterThanOrEqual(6);
    expect(await page.locator('#summary-line').textContent()).toMatch(/\d+ findings?: \d+ critical/);
    await expect.poll(() => page.locator('#findings').isVisible()).toBe(true);
    expect(await page.locator('#findings tbody tr').count()).toBeGreaterThanOrEqual(1);

    const svg = page.locator('svg#reach-graph');
    const box = await svg.boundingBox();
    expect(box?.width).toBeGreaterThan(300);
    expect(box?.height).toBeGreaterThan(100);
    const namespaces = await page
      .locator('svg#reach-graph g.namespace[data-namespace]')
      .evaluateAll((gs) => gs.map((g) => g.getAttribute('data-namespace')));
    expect(namespaces).toEqual(
      expect.arrayContaining(['kube-system', 'monitoring', 'payments', 'storefront']),
    );
    const nodes = await page
      .locator('svg#reach-graph g.node')
      .evaluateAll((gs) => gs.map((g) => g.getAttribute('data-id')));
    expect(nodes).toEqual(
      expect.arrayContaining([
        'storefront/web[Deployment]',
        'storefront/api[Deployment]',
        'payments/ledger-db[StatefulSet]',
        'external',
      ]),
    );
    // The web tier takes traffic from the internet: drawn in red, and so is the arrow from outside.
    const web = page.locator('svg#reach-graph g.node[data-id="storefront/web[Deployment]"]');
    expect(await web.getAttribute('data-exposed')).toBe('true');
    expect(
      await web.locator('rect').evaluate((r) => r.ownerDocument.defaultView?.getComputedStyle(r).stroke),
    ).toBe('rgb(198, 40, 40)');
    expect(
      await page
        .locator('svg#reach-graph g.node[data-id="payments/ledger-db[StatefulSet]"]')
        .getAttribute('data-exposed'),
    ).toBe('false');
    expect(
      await page
        .locator('svg#reach-graph path.edge.from-outside[data-dst="storefront/web[Deployment]"]')
        .count(),
    ).toBe(1);
    expect(await page.locator('svg#reach-graph path.edge').count()).toBeGreaterThan(5);

    // The README's picture: the summary, the critical and high findings, and the graph.
    await page.locator('input[data-filter="medium"]').uncheck();
    await page.locator('input[data-filter="low"]').uncheck();
    const bottom = await page
      .locator('.graph-scroll')
      .evaluate((e) => e.getBoundingClientRect().bottom + (e.ownerDocument.defaultView?.scrollY ?? 0));
    const png = await page.screenshot({
      fullPage: true,
      clip: { x: 0, y: 0, width: 1280, height: bottom + 24 },
    });
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    writeFileSync(
      process.env['UPDATE_SCREENSHOTS'] === '1' ? SCREENSHOT_DOCS : join(dir, 'storefront.png'),
      png,
    );

    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });

  it('filters findings by severity and text', async () => {
    const { cluster, report } = await loadStorefront();
    const checks: CheckInfo[] = (['critical', 'high', 'medium', 'low'] as const).map((severity, i) => ({
      id: `BH-TST-00${i + 1}`,
      area: i === 0 ? 'exposure' : 'pod-security',
      title: `A ${severity} problem`,
      severity,
      rationale: 'Because <script>alert(1)</script> must stay text.',
      remediation: 'Fix it.',
      references: ['CIS 5.3.2'],
      mappings: {},
    }));
    const findings: Finding[] = checks.map((c, i) => ({
      check: c.id,
      severity: c.severity,
      title: c.title,
      message: i === 0 ? 'open to <everyone> & "more"' : `message ${i}`,
      resource: { kind: 'Deployment', namespace: 'payments', name: i === 0 ? 'gateway' : `w${i}` },
      location: { file: join(STOREFRONT, 'workloads.yaml') },
    }));
    const model = Connectivity.build(cluster, { ipBlockPods: 'match' });
    const html = renderAudit(
      {
        ...report,
        result: { findings, suppressed: [], checks, notes: [] },
        graph: buildReachGraph(model, findings, checks),
      },
      'html',
    );
    const { page, errors, requests } = await open(html, 'filters.html');
    const visible = (): Promise<number> => page.locator('#findings tbody tr:not(.hidden)').count();
    expect(await visible()).toBe(4);
    expect(await page.locator('#findings tbody').textContent()).toContain('open to <everyone> & "more"');
    await page.locator('input[data-filter="low"]').uncheck();
    await page.locator('input[data-filter="medium"]').uncheck();
    expect(await visible()).toBe(2);
    expect(await page.locator('#shown-count').textContent()).toBe('2 of 4 shown');
    await page.locator('#search').fill('gateway');
    expect(await visible()).toBe(1);
    // An exposure finding marks its workload even when nothing outside reaches it.
    expect(
      await page
        .locator('svg#reach-graph g.node[data-id="payments/gateway[Deployment]"]')
        .getAttribute('data-exposed'),
    ).toBe('true');
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });
});
