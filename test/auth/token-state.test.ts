/**
 * Token state that must not silently go wrong (issue 10): after HMRC answers invalid_grant the dead
 * grant is recorded, and `auth status`, `web-apps list` and `verify` say so instead of "valid for hours".
 * Built CLI against the emulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TEST_USER } from '../../src/emulator/defaults.js';
import { DEFAULT_SANDBOX_CLIENT } from '../../src/lib/emulator-defaults.js';
import { startSandbox, type RunningSandbox } from '../../src/emulator/server.js';
import { insertToken } from '../helpers/mtd-setup.js';
import { APP, makeHome, runCli, setupWebApp, type TestHome } from '../helpers/setup-web-app.js';

let sb: RunningSandbox;
beforeAll(async () => {
  sb = await startSandbox({ rateLimitPerSecond: 10_000, testRoutes: true });
});
afterAll(async () => {
  await sb?.close();
});

async function authorized(t: TestHome): Promise<void> {
  const get = await runCli(t, ['auth', 'get-authorization-code', '--app', APP, '--json', '--no-browser', '--yes']);
  expect(get.code, get.stderr).toBe(0);
  const u = new URL((JSON.parse(get.stdout) as { authorizationUrl: string }).authorizationUrl);
  const body = new URLSearchParams({ userId: DEFAULT_TEST_USER.userId, password: DEFAULT_TEST_USER.password });
  for (const k of ['client_id', 'scope', 'redirect_uri', 'state', 'code_challenge', 'code_challenge_method']) body.set(k, u.searchParams.get(k)!);
  const res = await fetch(`${sb.url}/__test/authorize`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body });
  expect(res.status).toBe(200);
  const { code } = (await res.json()) as { code: string };
  const obtain = await runCli(t, ['auth', 'obtain-access-token', '--app', APP, '--code-stdin'], { stdin: code });
  expect(obtain.code, obtain.stderr).toBe(0);
}

const stateOf = async (t: TestHome) => {
  const status = JSON.parse((await runCli(t, ['auth', 'status', '--app', APP, '--json'])).stdout)[0].state;
  const list = JSON.parse((await runCli(t, ['web-apps', 'list', '--json'])).stdout).find((a: { name: string }) => a.name === APP).state;
  expect(list).toBe(status);
  return status as string;
};

describe('token state', () => {
  it('none → valid → revoked after HMRC answers invalid_grant; status, web-apps and verify say so', async () => {
    const t = makeHome();
    await setupWebApp(t, { baseUrl: sb.url, ...DEFAULT_SANDBOX_CLIENT });
    expect(await stateOf(t)).toBe('none');
    await authorized(t);
    expect(await stateOf(t)).toBe('valid');

    sb.revokeGrants(DEFAULT_TEST_USER.userId);
    const refresh = await runCli(t, ['auth', 'refresh-access-token', '--app', APP]);
    expect(refresh.code).toBe(1);
    expect(refresh.stderr).toContain('invalid_grant');
    expect(await stateOf(t)).toBe('revoked');

    const text = await runCli(t, ['auth', 'status', '--app', APP]);
    expect(text.stdout).toMatch(/Authorization: +revoked by HMRC \(invalid_grant\) on \d{4}-\d\d-\d\dT/);
    expect(text.stdout).not.toContain('will expire in');
    const list = await runCli(t, ['web-apps', 'list']);
    expect(list.stdout).toContain('Authorization revoked by HMRC');
    const verify = await runCli(t, ['verify', '--json']);
    const access = JSON.parse(verify.stdout).checks.find((c: { id: string }) => c.id === 'token.sandbox-hmrc.access');
    expect(access).toMatchObject({ status: 'fail' });
    expect(access.detail).toContain('HMRC refused the grant');

    // The dead grant is not used again: a VAT call refuses before sending anything.
    const before = sb.stats().tokenRequests;
    const again = await runCli(t, ['auth', 'refresh-access-token', '--app', APP]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('HMRC refused the authorization of "Sandbox HMRC"');
    expect(sb.stats().tokenRequests).toBe(before);

    // A new authorization clears the mark.
    await authorized(t);
    expect(await stateOf(t)).toBe('valid');
  });

  it('expired: the 18-month authority has passed', async () => {
    const t = makeHome();
    await setupWebApp(t, { baseUrl: sb.url, ...DEFAULT_SANDBOX_CLIENT });
    const ctx = t.open();
    insertToken(ctx, APP, new Date(Date.now() + 3600_000), new Date(Date.now() - 600 * 86_400_000));
    ctx.close();
    expect(await stateOf(t)).toBe('expired');
    expect((await runCli(t, ['web-apps', 'list'])).stdout).toContain('Authority expired (18 months)');
  });
});
