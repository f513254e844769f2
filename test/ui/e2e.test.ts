/**
 * The workspace end to end in headless Chromium against the local HMRC emulator: import the local
 * package through the page, Setup verification, Web applications → Get authorization code → the
 * consent dialog → the emulator's sign-in and grant pages → the token through auth/'s loopback
 * listener → Refresh access token. Screenshots go to a temp folder; every byte the workspace serves
 * is checked for secrets.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { Context } from '../../src/context.js';
import { DEFAULT_TEST_USER } from '../../src/emulator/defaults.js';
import { startSandbox, type RunningSandbox } from '../../src/emulator/server.js';
import { DEFAULT_SANDBOX_CLIENT } from '../../src/lib/emulator-defaults.js';
import { writePackage } from '../../src/package/writer.js';
import { readTokenRow } from '../../src/store/tokens.js';
import { decryptAccess, decryptRefresh } from '../../src/auth/tokens.js';
import { startUi, type RunningUi } from '../../src/ui/server.js';
import { LOCAL_SANDBOX_URL, predefinedPackage } from '../../packages-data/build.js';
import { makeHome, type TestHome } from '../helpers/setup-web-app.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`NOTICE: ${CHROMIUM} is missing — the mtdvat ui browser test is SKIPPED (apt-get install -y chromium)`);

/** The shipped local package, pointed at this test's emulator port instead of 9797. */
async function localPackage(dir: string, emulatorUrl: string): Promise<string> {
  const input = predefinedPackage('local');
  for (const e of input.entities) {
    e.records = e.records.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === LOCAL_SANDBOX_URL ? emulatorUrl : v])));
  }
  const file = join(dir, 'mtd-vat-local.zip');
  await writePackage(file, input);
  return file;
}

describe.skipIf(!hasChromium)('mtdvat ui in headless Chromium', () => {
  let sb: RunningSandbox;
  let t: TestHome;
  let ctx: Context;
  let ui: RunningUi;
  let browser: Browser;
  let page: Page;
  const shots = mkdtempSync(join(tmpdir(), 'mtdvat-ui-shots-'));
  const served: { url: string; body: Buffer }[] = [];
  const reads: Promise<void>[] = [];
  const leakChecks: string[] = [];

  beforeAll(async () => {
    sb = await startSandbox({ rateLimitPerSecond: 10_000 });
    t = makeHome();
    ctx = t.open();
    ui = await startUi(ctx, { port: 0, log: (line) => console.error(`ui: ${line}`) });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    context.on('response', (res) => {
      if (!res.url().startsWith(ui.origin)) return;
      reads.push(res.body().then((body) => void served.push({ url: res.url(), body }), () => {}));
    });
    page = await context.newPage();
    console.info(`mtdvat ui screenshots: ${shots}`);
  });
  afterAll(async () => {
    await browser?.close();
    await ui?.close();
    ctx?.close();
    await sb?.close();
  });

  const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  const nav = (label: string) => page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: label }).click();

  it('imports the local package, verifies, authorizes through the loopback redirect, refreshes; leaks nothing', async () => {
    await page.goto(ui.url);
    expect(new URL(page.url()).search).toBe(''); // the token left the address bar
    await expect.poll(() => page.title()).toContain('Workspace');

    // Import package: upload → inspection → Import → the result.
    await nav('Import package');
    await page.setInputFiles('#package', await localPackage(t.home, sb.url));
    await page.getByRole('button', { name: 'Upload and inspect' }).click();
    expect(await page.textContent('#inspect-verdict')).toContain('No problem would fail the import.');
    expect(await page.textContent('#dry-run')).toMatch(/^Dry run: [1-9]\d* record\(s\) created, 0 updated, 0 unchanged\.$/);
    await shot('01-inspect');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    expect(await page.textContent('#import-status')).toMatch(/^Import succeeded for company DAT \(job \d+\)\.$/);
    expect(await page.textContent('main table')).toContain('Web application');
    await nav('Import package');
    expect(await page.textContent('main')).toContain('mtd-vat-local.zip');

    // Setup verification and "Run again".
    await nav('Setup verification');
    expect(await page.textContent('#verdict')).toMatch(/^(Ready|Not ready)/);
    await page.getByRole('button', { name: 'Run again' }).click();
    expect(page.url()).toBe(`${ui.origin}/verify`);
    await shot('02-verify');

    // Web applications: the list, then the sandbox application.
    await nav('Web applications');
    expect(await page.textContent('main table')).toContain('set (encrypted)');
    await page.getByRole('link', { name: 'Sandbox HMRC' }).click();
    expect(await page.textContent('#token-state')).toContain('No access token');
    expect(await page.isChecked('input[name=redirect][value=loopback]')).toBe(true);
    await page.getByRole('button', { name: 'Get authorization code' }).click();
    // The consent dialog, once.
    expect(await page.textContent('#consent-question')).toContain('System administrator consent');
    await page.getByRole('button', { name: 'Yes' }).click();
    expect(await page.textContent('#auth-state')).toContain("Waiting for HMRC's redirect");
    await shot('03-waiting');

    // HMRC's (the emulator's) sign-in and grant pages in a new window; the redirect goes to auth/'s listener.
    const [hmrc] = await Promise.all([page.context().waitForEvent('page'), page.click('#hmrc-link')]);
    await hmrc.waitForLoadState();
    expect(new URL(hmrc.url()).origin).toBe(sb.url);
    await hmrc.click('#continue');
    await hmrc.fill('#userId', DEFAULT_TEST_USER.userId);
    await hmrc.fill('#password', DEFAULT_TEST_USER.password);
    await hmrc.click('#submit');
    await hmrc.click('#givePermission');
    await hmrc.waitForLoadState();
    expect(await hmrc.textContent('h1')).toBe('Authorisation received');
    expect(new URL(hmrc.url()).origin).not.toBe(ui.origin); // the loopback listener, not the workspace
    await hmrc.close();

    // The waiting page refreshes itself (no JavaScript) and shows the outcome.
    await page.waitForFunction(() => document.querySelector('#auth-state')?.textContent?.includes('Access token will expire in'), undefined, { timeout: 20_000 });
    expect(await page.textContent('#auth-state')).toMatch(/Access token will expire in (4 h 0 min|3 h 59 min)/);
    await page.getByRole('link', { name: 'Sandbox HMRC' }).click();
    expect(await page.textContent('#token-state')).toMatch(/Access token will expire in (4 h 0 min|3 h 59 min)/);
    const first = readTokenRow(ctx.db, ctx.company, 'Sandbox HMRC')!;
    const vault = await ctx.vault();
    const secrets = [decryptAccess(vault, first), decryptRefresh(vault, first)];

    // Refresh access token.
    await page.getByRole('button', { name: 'Refresh access token' }).click();
    expect(await page.textContent('.flash.ok')).toMatch(/Access token will expire in (4 h 0 min|3 h 59 min)/);
    const second = readTokenRow(ctx.db, ctx.company, 'Sandbox HMRC')!;
    secrets.push(decryptAccess(vault, second), decryptRefresh(vault, second));
    expect(secrets[2]).not.toBe(secrets[0]);
    await shot('04-web-application');

    // Narrow window and dark scheme still read (no horizontal scroll of the page itself).
    await page.setViewportSize({ width: 400, height: 800 });
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(true);
    await shot('05-narrow-dark');
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.emulateMedia({ colorScheme: 'light' });

    // No client secret, OAuth token or key in any byte the workspace served.
    await Promise.all(reads);
    expect(served.length).toBeGreaterThan(10);
    const all = Buffer.concat(served.map((s) => s.body)).toString('utf8');
    for (const s of [...secrets, DEFAULT_SANDBOX_CLIENT.clientSecret, t.env.MTDVAT_MASTER_KEY!]) expect(all).not.toContain(s);
    leakChecks.push(...secrets, DEFAULT_SANDBOX_CLIENT.clientSecret, t.env.MTDVAT_MASTER_KEY!);
  });

  it('files a VAT return on the Electronic messages page: New → run → Collect data → Ready → Generate → Send with the declaration → Completed VAT return', async () => {
    const status = () => page.textContent('#message-status');
    const waitRun = async () => {
      await page.waitForFunction(() => !document.querySelector('#run-state')?.textContent?.includes('running'), undefined, { timeout: 30_000 });
      return (await page.textContent('#run-state')) ?? '';
    };
    await nav('Electronic messages');
    await page.selectOption('#processing', 'UK MTD VAT TEST');
    await page.getByRole('button', { name: 'Show' }).click();
    // The processing's Tax registration number (the emulator's test user).
    await page.click('summary');
    await page.getByLabel('Tax registration number').fill(DEFAULT_TEST_USER.vrn);
    await page.getByRole('button', { name: 'Save' }).click();
    expect(await page.textContent('.flash.ok')).toContain('Tax registration number');

    // New → New obligation request; only its one action is offered.
    await page.getByRole('button', { name: 'New', exact: true }).click();
    expect(await status()).toBe('New obligation request');
    const offered = await page.locator('#actions button, #actions a.button').allTextContents();
    expect(offered.map((s) => s.trim())).toEqual(['Run processing: Test retrieves VAT obligations', 'Delete']);
    await page.getByRole('button', { name: 'Run processing: Test retrieves VAT obligations' }).click();
    // HMRC's fraud prevention data, agreed to once.
    expect(await page.textContent('#fph-text')).toContain('Gov-Client-Connection-Method');
    await page.getByRole('button', { name: 'Yes' }).click();
    expect(await waitRun()).toContain('done; message');
    expect(await status()).toBe('Completed VAT obligations request');
    expect(await page.textContent('#action-log')).toContain('Import VAT obligations');

    // The open periods appear as New VAT return messages.
    const openRow = page.locator('#messages tbody tr', { hasText: 'New VAT return' }).first();
    await expect.poll(() => page.locator('#messages tbody tr', { hasText: 'New VAT return' }).count()).toBeGreaterThan(0);
    await openRow.getByRole('link').click();
    expect(await status()).toBe('New VAT return');
    await shot('06-electronic-messages');

    // Collect data (upload the RETURN file).
    const returnFile = join(t.home, 'RETURN.json');
    writeFileSync(returnFile, JSON.stringify({ vatDueSales: 1050.5, vatDueAcquisitions: 0, totalVatDue: 1050.5, vatReclaimedCurrPeriod: 200.25, netVatDue: 850.25, totalValueSalesExVAT: 5253, totalValuePurchasesExVAT: 1001, totalValueGoodsSuppliedExVAT: 0, totalAcquisitionsExVAT: 0, finalised: true }));
    await page.setInputFiles('#collect-file', returnFile);
    await page.getByRole('button', { name: 'Collect data' }).click();
    expect(await waitRun()).toContain('done');
    expect(await page.textContent('#items')).toContain('1,050.50');

    await page.getByRole('button', { name: 'Update status: Ready to generate VAT return' }).click();
    expect(await waitRun()).toContain('done');
    expect(await status()).toBe('Ready to generate VAT return');

    await page.getByRole('button', { name: 'Generate report', exact: true }).click();
    expect(await waitRun()).toContain('done');
    expect(await status()).toBe('Generated VAT return');

    // Send report: the nine boxes and HMRC's declaration; the browser refuses to submit without the box ticked.
    await page.getByRole('link', { name: 'Send report' }).click();
    expect(await page.textContent('#declaration')).toContain('legal declaration');
    expect(await page.textContent('#boxes')).toContain('850.25');
    await shot('07-send-report');
    await page.getByLabel('I confirm the declaration above').check();
    await page.getByRole('button', { name: 'Send report' }).click();
    expect(await waitRun()).toContain('done');
    expect(await status()).toBe('Completed VAT return');
    const log = await page.textContent('#action-log');
    for (const a of ['Test submits VAT return', 'Import response for VAT return']) expect(log).toContain(a);
    expect(await page.locator('#attachments a').allTextContents()).toEqual(['VAT_return.json', 'response.json']);
    expect(await page.locator('#actions button').count()).toBe(0);
    await shot('08-completed');

    // The attachment downloads are the documents as sent.
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#attachments a').first().click()]);
    const sent = JSON.parse(readFileSync((await download.path())!, 'utf8')) as { periodKey: string; netVatDue: number };
    expect(sent.netVatDue).toBe(850.25);

    // VAT page: the obligations from HMRC, no period key.
    await nav('VAT');
    await page.getByRole('button', { name: 'Get from HMRC' }).click();
    expect(await page.textContent('#vat-result')).toMatch(/Open|Fulfilled/);

    // No page ever shows a period key; nothing served carries a secret.
    await Promise.all(reads);
    const pages = Buffer.concat(served.filter((s) => !/\/attachments\//.test(s.url)).map((s) => s.body)).toString('utf8');
    expect(pages).not.toContain(sent.periodKey);
    const everything = Buffer.concat(served.map((s) => s.body)).toString('utf8');
    for (const s of leakChecks) expect(everything).not.toContain(s);
  });
});
