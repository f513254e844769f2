import { afterAll, describe, expect, test } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderVerifyHtml, escapeHtml } from '../../src/verify/verify-html.js';
import type { VerifyResult } from '../../src/verify/verify.js';
import { SECRETS, seedSetup } from '../helpers/mtd-setup.js';
import { runCli } from '../helpers/cli.js';

const CHROMIUM = '/usr/bin/chromium';
const out = mkdtempSync(join(tmpdir(), 'mtdvat-html-'));

const sample: VerifyResult = {
  ok: false,
  company: 'DAT',
  checks: [
    { id: 'web-app.sandbox-hmrc.base-url', title: 'Base URL of "Sandbox HMRC"', status: 'fail', detail: 'Uses http: <script>alert(1)</script>', fix: 'mtdvat web-apps set "Sandbox HMRC" --base-url \'https://test-api.service.hmrc.gov.uk\'' },
    { id: 'credentials.sandbox-hmrc.client-id', title: 'Client ID of "Sandbox HMRC"', status: 'warn', detail: 'Placeholder & demo', fix: 'set it' },
    { id: 'status.message-statuses.complete', title: 'Message statuses are complete', status: 'pass', detail: 'All 19 exist.' },
  ],
};

describe('renderVerifyHtml', () => {
  test('self-contained, escaped, grouped by area with counts', async () => {
    const html = renderVerifyHtml(sample, { generatedAt: new Date('2025-01-02T03:04:00Z') });
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).not.toMatch(/<script|<link|src=|@import|url\(/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('Placeholder &amp; demo');
    expect(html).toContain('<title>MTD VAT setup verification — company DAT</title>');
    expect(html.indexOf('id="attention"')).toBeLessThan(html.indexOf('id="area-web-app"'));
    expect(html.indexOf('id="area-web-app"')).toBeLessThan(html.indexOf('id="area-credentials"'));
    expect(html).toContain('2025-01-02 03:04 UTC');
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

describe('HTML report in headless Chromium', () => {
  const browserTest = existsSync(CHROMIUM) ? test : test.skip;
  if (!existsSync(CHROMIUM)) console.warn(`NOTICE: ${CHROMIUM} is missing: the headless-Chromium report test is SKIPPED (apt-get install -y chromium).`);

  let closeBrowser: (() => Promise<void>) | undefined;
  afterAll(async () => closeBrowser?.());

  browserTest('renders; title, verdict and summary readable from the DOM; screenshot taken', async () => {
    const seeded = await seedSetup({ credentials: { sandboxSecret: null } });
    seeded.ctx.close();
    const file = join(out, 'report.html');
    const r = await runCli(['verify', '--format', 'html', '--output', file, '--home', seeded.home], { env: { MTDVAT_MASTER_KEY: seeded.key } });
    expect(r.code).toBe(1); // the missing sandbox secret fails
    const html = readFileSync(file, 'utf8');
    for (const s of Object.values(SECRETS)) expect(html + r.stdout + r.stderr).not.toContain(s);

    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    closeBrowser = () => browser.close();
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const requests: string[] = [];
    page.on('request', (req) => requests.push(req.url()));
    await page.goto(`file://${file}`);
    expect(await page.title()).toBe('MTD VAT setup verification — company DAT');
    expect(await page.textContent('#verdict')).toContain('Not ready: 1 check failed');
    const summary = await page.textContent('#summary');
    expect(summary).toMatch(/\d+\s*passed/);
    expect(summary).toContain('1failed');
    expect(await page.locator('#attention tr.fail .id').allTextContents()).toEqual(['credentials.sandbox-hmrc.client-secret']);
    expect(await page.locator('#attention tr.fail .fix').textContent()).toContain("mtdvat web-apps set-credentials 'Sandbox HMRC'");
    // No external assets: the only request is the file itself.
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    const png = join(out, 'report.png');
    await page.screenshot({ path: png, fullPage: false });
    const bytes = readFileSync(png);
    expect(statSync(png).size).toBeGreaterThan(5000);
    expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    console.info(`verify report screenshot: ${png}`);
  }, 60_000);
});
