/**
 * The seed flow end to end in a real browser: get-authorization-code → headless Chromium signs in
 * to the emulator and grants authority → the code from the page title → obtain-access-token →
 * auth status → clock jump → getValidAccessToken refreshes. Also checks that no secret leaks.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TEST_USER } from '../../src/emulator/defaults.js';
import { DEFAULT_SANDBOX_CLIENT } from '../../src/lib/emulator-defaults.js';
import { startSandbox, type RunningSandbox } from '../../src/emulator/server.js';
import { getValidAccessToken } from '../../src/auth/access-token.js';
import { readTokenRow } from '../../src/store/tokens.js';
import { decryptAccess, decryptRefresh } from '../../src/auth/tokens.js';
import { listAudit } from '../../src/store/audit.js';
import { APP, makeHome, runCli, setupWebApp, storeBytes, type RunResult, type TestHome } from '../helpers/setup-web-app.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`NOTICE: ${CHROMIUM} is missing — the browser seed-flow test is SKIPPED (apt-get install -y chromium)`);

describe.skipIf(!hasChromium)('seed authorization flow in headless Chromium', () => {
  let sb: RunningSandbox;
  let t: TestHome;
  const outputs: RunResult[] = [];
  const secrets: string[] = [DEFAULT_SANDBOX_CLIENT.clientSecret];

  beforeAll(async () => {
    sb = await startSandbox({ rateLimitPerSecond: 10_000 });
    t = makeHome();
    await setupWebApp(t, { baseUrl: sb.url, ...DEFAULT_SANDBOX_CLIENT });
  });
  afterAll(async () => {
    await sb?.close();
  });

  it('authorizes in the browser, stores the token, reports 4 h, refreshes after a clock jump, leaks nothing', async () => {
    const get = await runCli(t, ['auth', 'get-authorization-code', '--app', APP, '--json', '--no-browser', '--yes']);
    outputs.push(get);
    expect(get.code, get.stderr).toBe(0);
    const req = JSON.parse(get.stdout) as { authorizationUrl: string; state: string; expiresAt: string };
    expect(Object.keys(req).sort()).toEqual(['authorizationUrl', 'expiresAt', 'pendingCodeExpiresAt', 'state']);
    const url = new URL(req.authorizationUrl);
    expect(url.origin + url.pathname).toBe(`${sb.url}/oauth/authorize`);
    expect(url.searchParams.get('client_id')).toBe(DEFAULT_SANDBOX_CLIENT.clientId);
    expect(url.searchParams.get('scope')).toBe('read:vat write:vat');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('state')).toBe(req.state);
    expect(req.authorizationUrl).not.toContain(DEFAULT_SANDBOX_CLIENT.clientSecret);

    // Capture the PKCE verifier for the leak check.
    {
      const ctx = t.open();
      const { readPending } = await import('../../src/store/tokens.js'); const { decryptVerifier } = await import('../../src/auth/tokens.js');
      secrets.push(decryptVerifier(await ctx.vault(), readPending(ctx.db, ctx.company, APP)!));
      ctx.close();
    }

    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    let code: string;
    try {
      const page = await browser.newPage();
      await page.goto(req.authorizationUrl);
      expect(await page.textContent('#appNameParagraph')).toContain('wants to connect');
      await page.click('#continue');
      await page.fill('#userId', DEFAULT_TEST_USER.userId);
      await page.fill('#password', DEFAULT_TEST_USER.password);
      await page.click('#submit');
      await page.click('#givePermission');
      await page.waitForFunction(() => document.title.startsWith('Success code='));
      const title = await page.title();
      code = /^Success code=(\S+)$/.exec(title)![1];
    } finally {
      await browser.close();
    }
    expect(code).toMatch(/^[0-9a-f]{32}$/);
    secrets.push(code);

    const obtain = await runCli(t, ['auth', 'obtain-access-token', '--app', APP, '--code-stdin'], { stdin: `${code}\n` });
    outputs.push(obtain);
    expect(obtain.code, obtain.stderr).toBe(0);
    expect(obtain.stdout.trim()).toBe('Access token will expire in 4 h 0 min');

    const status = await runCli(t, ['auth', 'status', '--app', APP]);
    outputs.push(status);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/will expire in (4 h 0 min|3 h 59 min)/);
    expect(status.stdout).toContain('read:vat write:vat');

    const statusJson = await runCli(t, ['auth', 'status', '--json']);
    outputs.push(statusJson);
    const rows = JSON.parse(statusJson.stdout) as Record<string, unknown>[];
    expect(rows).toHaveLength(1);
    expect(Object.keys(rows[0]).sort()).toEqual(['accessTokenExpiresAt', 'app', 'pendingCodeExpiresAt', 'refreshHorizonAt', 'scope', 'state']);
    expect(rows[0].pendingCodeExpiresAt).toBeNull();
    const expiresAt = Date.parse(rows[0].accessTokenExpiresAt as string);
    expect(Math.abs(expiresAt - (Date.now() + 4 * 3_600_000))).toBeLessThan(120_000);
    const horizon = new Date(rows[0].refreshHorizonAt as string);
    expect(horizon.getUTCFullYear() * 12 + horizon.getUTCMonth() - (new Date().getUTCFullYear() * 12 + new Date().getUTCMonth())).toBe(18);

    // Tokens before the jump, for the leak check and to see rotation.
    let before: { access: string; refresh: string };
    {
      const ctx = t.open();
      const vault = await ctx.vault();
      const row = readTokenRow(ctx.db, ctx.company, APP)!;
      before = { access: decryptAccess(vault, row), refresh: decryptRefresh(vault, row) };
      ctx.close();
    }
    secrets.push(before.access, before.refresh);

    // Jump both clocks past the access token's 4 hours.
    const jump = 4 * 3_600_000 + 5 * 60_000;
    sb.clock.advance(jump);
    const expiredStatus = await runCli(t, ['auth', 'status'], { env: { MTDVAT_NOW_OFFSET_MS: String(jump) } });
    outputs.push(expiredStatus);
    expect(expiredStatus.stdout).toContain('expired');

    const tokenCallsBefore = sb.stats().tokenRequestsByGrant.refresh_token ?? 0;
    const ctx = t.open({ MTDVAT_NOW_OFFSET_MS: String(jump) });
    try {
      const valid = await getValidAccessToken(ctx, APP);
      expect(valid.refreshed).toBe(true);
      expect(valid.accessToken).not.toBe(before.access);
      secrets.push(valid.accessToken, decryptRefresh(await ctx.vault(), readTokenRow(ctx.db, ctx.company, APP)!));
      expect(sb.stats().tokenRequestsByGrant.refresh_token).toBe(tokenCallsBefore + 1);
      // The new token works at the emulator; a second call does not refresh again.
      const hello = await fetch(`${sb.url}/hello/user`, { headers: { Accept: 'application/vnd.hmrc.1.0+json', Authorization: `Bearer ${valid.accessToken}` } });
      expect(hello.status).toBe(200);
      const again = await getValidAccessToken(ctx, APP);
      expect(again.refreshed).toBe(false);
      expect(again.accessToken).toBe(valid.accessToken);

      // Audit: every auth event is there, and no secret is in it.
      const events = listAudit(ctx.db, { category: 'auth', limit: 1000 }).map((e) => e.event);
      expect(events).toEqual(expect.arrayContaining(['consent granted', 'authorization code requested', 'token obtained', 'token refreshed']));
      const auditText = JSON.stringify(listAudit(ctx.db, { limit: 10_000 }));
      for (const s of secrets) expect(auditText).not.toContain(s);
      expect(auditText).not.toContain(DEFAULT_SANDBOX_CLIENT.clientId);
    } finally {
      ctx.close();
    }

    const log = await runCli(t, ['auth', 'log']);
    outputs.push(log);
    expect(log.stdout).toContain('token refreshed');

    for (const o of outputs) {
      for (const s of secrets) {
        expect(o.stdout).not.toContain(s);
        expect(o.stderr).not.toContain(s);
      }
    }
    const bytes = storeBytes(t);
    for (const s of [...secrets, DEFAULT_SANDBOX_CLIENT.clientId]) expect(bytes.includes(s), 'plaintext secret in the store files').toBe(false);
  });
});
