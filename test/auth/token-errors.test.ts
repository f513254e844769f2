/**
 * Code exchange and refresh failures against the emulator, through the built CLI: expired code,
 * reused code, wrong client secret, refresh rotation, dead grant → guidance, network faults.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_TEST_USER } from '../../src/emulator/defaults.js';
import { DEFAULT_SANDBOX_CLIENT } from '../../src/lib/emulator-defaults.js';
import { startSandbox, type RunningSandbox } from '../../src/emulator/server.js';
import { getValidAccessToken, withAccessToken } from '../../src/auth/access-token.js';
import { readTokenRow } from '../../src/store/tokens.js';
import { decryptAccess, decryptRefresh } from '../../src/auth/tokens.js';
import { hmrcRequest } from '../../src/hmrc/http.js';
import { APP, makeHome, runCli, setupWebApp, storeBytes, type RunResult, type TestHome } from '../helpers/setup-web-app.js';

let sb: RunningSandbox;
const outputs: RunResult[] = [];
const secrets = new Set<string>([DEFAULT_SANDBOX_CLIENT.clientSecret]);

beforeAll(async () => {
  sb = await startSandbox({ rateLimitPerSecond: 10_000, testRoutes: true });
});
afterAll(async () => {
  await sb?.close();
});

/** A port nobody listens on (bound, then released). */
async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function cli(t: TestHome, args: string[], opts: Parameters<typeof runCli>[2] = {}): Promise<RunResult> {
  const r = await runCli(t, args, opts);
  outputs.push(r);
  return r;
}

/** Signs in at the emulator without HTML (POST /__test/authorize) for the pending request's URL. */
async function codeFor(authorizationUrl: string): Promise<string> {
  const u = new URL(authorizationUrl);
  const body = new URLSearchParams({ userId: DEFAULT_TEST_USER.userId, password: DEFAULT_TEST_USER.password });
  for (const k of ['client_id', 'scope', 'redirect_uri', 'state', 'code_challenge', 'code_challenge_method']) body.set(k, u.searchParams.get(k)!);
  const res = await fetch(`${sb.url}/__test/authorize`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body });
  const j = (await res.json()) as { code: string };
  expect(res.status).toBe(200);
  secrets.add(j.code);
  return j.code;
}

async function authorized(t: TestHome): Promise<void> {
  const get = await cli(t, ['auth', 'get-authorization-code', '--app', APP, '--json', '--no-browser', '--yes']);
  expect(get.code, get.stderr).toBe(0);
  const code = await codeFor((JSON.parse(get.stdout) as { authorizationUrl: string }).authorizationUrl);
  const obtain = await cli(t, ['auth', 'obtain-access-token', '--app', APP, '--code-stdin', '--json'], { stdin: code });
  expect(obtain.code, obtain.stderr).toBe(0);
  const j = JSON.parse(obtain.stdout) as Record<string, string>;
  expect(Object.keys(j).sort()).toEqual(['accessTokenExpiresAt', 'app', 'expiresAt', 'scope']);
  expect(j.scope).toBe('read:vat write:vat');
  await rememberTokens(t);
}

async function rememberTokens(t: TestHome): Promise<{ access: string; refresh: string }> {
  const ctx = t.open();
  try {
    const row = readTokenRow(ctx.db, ctx.company, APP)!;
    const vault = await ctx.vault();
    const tokens = { access: decryptAccess(vault, row), refresh: decryptRefresh(vault, row) };
    secrets.add(tokens.access);
    secrets.add(tokens.refresh);
    return tokens;
  } finally {
    ctx.close();
  }
}

describe('auth failures', () => {
  let t: TestHome;
  beforeEach(async () => {
    t = makeHome();
    await setupWebApp(t, { baseUrl: sb.url, ...DEFAULT_SANDBOX_CLIENT });
  });

  it('refuses without consent when not interactive, and checks the scope', async () => {
    const noYes = await cli(t, ['auth', 'get-authorization-code', '--app', APP, '--no-browser']);
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toContain('--yes');
    const bad = await cli(t, ['auth', 'get-authorization-code', '--app', APP, '--no-browser', '--yes', '--scope', 'read:vat']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('write:vat');
    const extra = await cli(t, ['auth', 'get-authorization-code', '--app', APP, '--no-browser', '--yes', '--scope', 'read:vat write:vat hello']);
    expect(extra.code, extra.stderr).toBe(0);
    expect(extra.stderr).toContain('warning');
    const unknown = await cli(t, ['auth', 'get-authorization-code', '--app', 'Nope', '--no-browser', '--yes']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('"Sandbox HMRC"');
  });

  it('an expired code: refused locally after 10 minutes, HMRC refuses it with --force', async () => {
    const get = await cli(t, ['auth', 'get-authorization-code', '--app', APP, '--json', '--no-browser', '--yes']);
    const code = await codeFor((JSON.parse(get.stdout) as { authorizationUrl: string }).authorizationUrl);
    const jump = 11 * 60_000;
    sb.clock.advance(jump);
    const env = { MTDVAT_NOW_OFFSET_MS: String(jump) };
    const status = await cli(t, ['auth', 'status', '--app', APP], { env });
    expect(status.stdout).toMatch(/Pending code:\s+requested 11 min ago — expired/);
    const late = await cli(t, ['auth', 'obtain-access-token', '--app', APP, '--code-stdin'], { stdin: code, env });
    expect(late.code).toBe(1);
    expect(late.stderr).toContain('valid for 10 minutes');
    expect(late.stderr).toContain('get-authorization-code');
    const forced = await cli(t, ['auth', 'obtain-access-token', '--app', APP, '--code-stdin', '--force'], { stdin: code, env });
    expect(forced.code).toBe(1);
    expect(forced.stderr).toContain('invalid, expired');
  });

  it('a reused code is refused with guidance', async () => {
    const get = await cli(t, ['auth', 'get-authorization-code', '--app', APP, '--json', '--no-browser', '--yes']);
    const url = (JSON.parse(get.stdout) as { authorizationUrl: string }).authorizationUrl;
    const code = await codeFor(url);
    expect((await cli(t, ['auth', 'obtain-access-token', '--app', APP, '--code-stdin'], { stdin: code })).code).toBe(0);
    await rememberTokens(t);
    // Same code again (a new pending request so the local checks pass).
    await cli(t, ['auth', 'get-authorization-code', '--app', APP, '--json', '--no-browser', '--yes']);
    const again = await cli(t, ['auth', 'obtain-access-token', '--app', APP, '--code-stdin'], { stdin: code });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/invalid, expired .* already used/);
  });

  it('a wrong client secret → invalid_client with a hint', async () => {
    await setupWebApp(t, { baseUrl: sb.url, clientId: DEFAULT_SANDBOX_CLIENT.clientId, clientSecret: 'not-the-right-secret-at-all' });
    secrets.add('not-the-right-secret-at-all');
    const get = await cli(t, ['auth', 'get-authorization-code', '--app', APP, '--json', '--no-browser', '--yes']);
    const code = await codeFor((JSON.parse(get.stdout) as { authorizationUrl: string }).authorizationUrl);
    const r = await cli(t, ['auth', 'obtain-access-token', '--app', APP, '--code-stdin', '--json'], { stdin: code });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('invalid_client');
    expect(r.stderr).toContain('web-apps set-credentials');
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { type: 'AuthError' } });
  });

  it('refresh rotates: new access and refresh tokens, the old refresh token is dead', async () => {
    await authorized(t);
    const first = await rememberTokens(t);
    const r = await cli(t, ['auth', 'refresh-access-token', '--app', APP]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('Access token will expire in 4 h 0 min');
    const second = await rememberTokens(t);
    expect(second.access).not.toBe(first.access);
    expect(second.refresh).not.toBe(first.refresh);
    const old = await fetch(`${sb.url}/oauth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: first.refresh, client_id: DEFAULT_SANDBOX_CLIENT.clientId, client_secret: DEFAULT_SANDBOX_CLIENT.clientSecret }),
    });
    expect(old.status).toBe(400);
    expect(((await old.json()) as { error: string }).error).toBe('invalid_grant');
  });

  it('a dead grant (18 months, or revoked) → "authorization has expired or was revoked" guidance; token row kept', async () => {
    await authorized(t);
    sb.revokeGrants(DEFAULT_TEST_USER.userId);
    const r = await cli(t, ['auth', 'refresh-access-token', '--app', APP]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("authorization has expired or was revoked: run `mtdvat auth get-authorization-code --app 'Sandbox HMRC'`");
    const log = await cli(t, ['auth', 'log', '--json']);
    expect((JSON.parse(log.stdout) as { event: string }[]).map((e) => e.event)).toContain('token refresh failed');

    // 18 months later: refresh chain expired.
    await authorized(t);
    const jump = 19 * 31 * 86_400_000;
    sb.clock.advance(jump);
    try {
      const ctx = t.open({ MTDVAT_NOW_OFFSET_MS: String(jump) });
      try {
        await expect(getValidAccessToken(ctx, APP)).rejects.toThrow(/authorization has expired or was revoked/);
        expect(readTokenRow(ctx.db, ctx.company, APP)).toBeDefined();
      } finally {
        ctx.close();
      }
      const status = await cli(t, ['auth', 'status'], { env: { MTDVAT_NOW_OFFSET_MS: String(jump) } });
      expect(status.stdout).toContain('authorization ended');
    } finally {
      sb.clock.advance(-jump);
    }
  });

  it('withAccessToken: 401 INVALID_CREDENTIALS with a burnt refresh token → one refresh attempt → guidance', async () => {
    await authorized(t);
    const ctx = t.open();
    try {
      const before = await rememberTokens(t);
      // Another client refreshed behind our back at HMRC: our stored access token is now revoked.
      const res = await fetch(`${sb.url}/oauth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: before.refresh, client_id: DEFAULT_SANDBOX_CLIENT.clientId, client_secret: DEFAULT_SANDBOX_CLIENT.clientSecret }),
      });
      expect(res.status).toBe(200);
      let calls = 0;
      await expect(
        withAccessToken(ctx, APP, (token, app) => {
          calls++;
          return hmrcRequest(ctx, { app, method: 'GET', path: '/hello/user', headers: { Authorization: `Bearer ${token}` }, idempotent: true, auditCategory: 'hmrc' });
        }),
      ).rejects.toThrow(/authorization has expired or was revoked/);
      // One call, one refresh attempt (the stored refresh token was burnt by the other client), no second call.
      expect(calls).toBe(1);
    } finally {
      ctx.close();
    }
  });

  it('withAccessToken: a revoked access token with a live refresh token → one refresh, one retry, success', async () => {
    await authorized(t);
    const ctx = t.open();
    try {
      const before = await rememberTokens(t);
      // Make HMRC forget the access token only (as after an HMRC-side expiry): refresh via the CLI in another home is not possible,
      // so advance the emulator clock past 4 h while the client clock still thinks the token is fresh.
      sb.clock.advance(4 * 3_600_000 + 1000);
      const refreshBefore = sb.stats().tokenRequestsByGrant.refresh_token ?? 0;
      let calls = 0;
      const result = await withAccessToken(ctx, APP, (token, app) => {
        calls++;
        return hmrcRequest(ctx, { app, method: 'GET', path: '/hello/user', headers: { Authorization: `Bearer ${token}` }, idempotent: true, auditCategory: 'hmrc' });
      });
      expect(calls).toBe(2);
      expect(result.status).toBe(200);
      expect(sb.stats().tokenRequestsByGrant.refresh_token).toBe(refreshBefore + 1);
      const after = await rememberTokens(t);
      expect(after.access).not.toBe(before.access);
    } finally {
      sb.clock.advance(-(4 * 3_600_000 + 1000));
      ctx.close();
    }
  });

  it('a 500 from the token endpoint leaves the stored token intact; a refused connection gives a clear message', async () => {
    await authorized(t);
    const before = await rememberTokens(t);
    sb.injectFault({ kind: 'token-error', status: 500, body: { error: 'server_error', error_description: 'An unexpected error occurred' } });
    const r = await cli(t, ['auth', 'refresh-access-token', '--app', APP]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('HTTP 500 server_error');
    expect(r.stderr).toContain('stored token is unchanged');
    expect(await rememberTokens(t)).toEqual(before);

    const closedPort = await freePort();
    await setupWebApp(t, { baseUrl: `http://127.0.0.1:${closedPort}`, ...DEFAULT_SANDBOX_CLIENT });
    // Tokens are bound to the origin they came from; pretend these came from the closed port.
    const c = t.open();
    c.db.prepare('UPDATE oauth_tokens SET origin = ?').run(`http://127.0.0.1:${closedPort}`);
    c.close();
    const refused = await cli(t, ['auth', 'refresh-access-token', '--app', APP]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`could not reach HMRC at 127\\.0\\.0\\.1:${closedPort} \\(connection refused\\) after \\d attempts`));
    expect(await rememberTokens(t)).toEqual(before);
    const status = await cli(t, ['auth', 'status', '--app', APP]);
    expect(status.stdout).toContain('will expire in');
  });

  it('forget deletes the tokens', async () => {
    await authorized(t);
    const r = await cli(t, ['auth', 'forget', '--app', APP]);
    expect(r.code).toBe(0);
    const status = JSON.parse((await cli(t, ['auth', 'status', '--json'])).stdout) as { accessTokenExpiresAt: string | null }[];
    expect(status[0].accessTokenExpiresAt).toBeNull();
    const refresh = await cli(t, ['auth', 'refresh-access-token', '--app', APP]);
    expect(refresh.code).toBe(1);
    expect(refresh.stderr).toContain('no access token');
  });

  it('status never opens the vault; obtain without a code and without a terminal is a usage error', async () => {
    await authorized(t);
    const noKey = await cli(t, ['auth', 'status', '--json'], { env: { MTDVAT_MASTER_KEY: '' } });
    expect(noKey.code, noKey.stderr).toBe(0);
    expect((JSON.parse(noKey.stdout) as { scope: string }[])[0].scope).toBe('read:vat write:vat');
    const noCode = await cli(t, ['auth', 'obtain-access-token', '--app', APP]);
    expect(noCode.code).toBe(2);
    expect(noCode.stderr).toContain('stdin');
  });

  it('no secret appears in any output, audit row or store file', async () => {
    await authorized(t);
    const ctx = t.open();
    const audit = JSON.stringify(ctx.db.prepare('SELECT * FROM audit_log').all());
    ctx.close();
    const bytes = storeBytes(t);
    for (const s of [...secrets, DEFAULT_SANDBOX_CLIENT.clientId]) {
      expect(audit.includes(s), 'secret in audit').toBe(false);
      expect(bytes.includes(s), 'secret in store bytes').toBe(false);
    }
    for (const o of outputs) {
      for (const s of secrets) {
        expect(o.stdout.includes(s), 'secret on stdout').toBe(false);
        expect(o.stderr.includes(s), 'secret on stderr').toBe(false);
      }
    }
  });
});
