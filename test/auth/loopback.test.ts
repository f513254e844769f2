/**
 * `get-authorization-code --redirect loopback`: the CLI listens on 127.0.0.1, the emulator
 * redirects the browser (here: fetch walking the HTML journey) there, and the token is obtained at once.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_TEST_USER } from '../../src/emulator/defaults.js';
import { DEFAULT_SANDBOX_CLIENT } from '../../src/lib/emulator-defaults.js';
import { startSandbox, type RunningSandbox } from '../../src/emulator/server.js';
import { APP, makeHome, runCli, setupWebApp, type RunResult, type TestHome } from '../helpers/setup-web-app.js';

let sb: RunningSandbox;
beforeAll(async () => {
  sb = await startSandbox({ rateLimitPerSecond: 10_000 });
});
afterAll(async () => {
  await sb?.close();
});

function form(url: string, fields: Record<string, string>): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields), redirect: 'manual' });
}

/** Walks start → sign in → decision like a browser; returns the redirect Location HMRC sends. */
async function journey(authorizationUrl: string, decision: 'grant' | 'deny'): Promise<string> {
  const start = await fetch(authorizationUrl);
  expect(start.status).toBe(200);
  const session = /name="session" value="([^"]+)"/.exec(await start.text())![1];
  expect((await form(`${sb.url}/oauth/start`, { session })).status).toBe(303);
  expect((await form(`${sb.url}/api-test-login/sign-in`, { session, userId: DEFAULT_TEST_USER.userId, password: DEFAULT_TEST_USER.password })).status).toBe(303);
  const decided = await form(`${sb.url}/oauth/grantscope`, { session, decision });
  expect(decided.status).toBe(302);
  return decided.headers.get('location')!;
}

/** Starts the CLI in loopback mode and resolves with the authorization URL it prints on stderr. */
function startLoopbackCli(t: TestHome): { url: Promise<string>; done: Promise<RunResult> } {
  let resolveUrl!: (u: string) => void;
  const url = new Promise<string>((r) => (resolveUrl = r));
  let buffer = '';
  const done = runCli(t, ['auth', 'get-authorization-code', '--app', APP, '--redirect', 'loopback', '--no-browser', '--yes', '--json'], {
    onStderr: (chunk) => {
      buffer += chunk;
      const m = /^(http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+)$/m.exec(buffer);
      if (m) resolveUrl(m[1]);
    },
  });
  void done.then((r) => resolveUrl(`(exited ${r.code}: ${r.stderr})`));
  return { url, done };
}

describe('loopback redirect', () => {
  let t: TestHome;
  beforeEach(async () => {
    t = makeHome();
    await setupWebApp(t, { baseUrl: sb.url, ...DEFAULT_SANDBOX_CLIENT });
  });

  it('captures the code, checks state and obtains the token at once', async () => {
    const { url, done } = startLoopbackCli(t);
    const authorizationUrl = await url;
    const redirectUri = new URL(authorizationUrl).searchParams.get('redirect_uri')!;
    expect(redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    const location = await journey(authorizationUrl, 'grant');
    expect(location.startsWith(redirectUri + '?')).toBe(true);
    const landing = await fetch(location);
    expect(landing.status).toBe(200);
    const r = await done;
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, string>;
    expect(j).toMatchObject({ app: APP, scope: 'read:vat write:vat', authorizationUrl });
    expect(Date.parse(j.accessTokenExpiresAt) - Date.now()).toBeGreaterThan(4 * 3_600_000 - 120_000);
    const code = new URL(location).searchParams.get('code')!;
    expect(r.stdout + r.stderr).not.toContain(code);
  });

  it('a stray callback with a wrong state gets 400 and the listener keeps waiting for the real one', async () => {
    const { url, done } = startLoopbackCli(t);
    const authorizationUrl = await url;
    const real = await journey(authorizationUrl, 'grant');
    const forged = new URL(real);
    forged.searchParams.set('state', 'forged-state');
    forged.searchParams.set('code', 'forged-code-0000');
    const stray = await fetch(forged);
    expect(stray.status).toBe(400);
    expect(await stray.text()).toContain('mtdvat keeps waiting');
    const missing = new URL(real);
    missing.searchParams.delete('state');
    expect((await fetch(missing)).status).toBe(400);
    expect((await fetch(real)).status).toBe(200);
    const r = await done;
    expect(r.code, r.stderr).toBe(0);
    const st = await runCli(t, ['auth', 'status', '--json']);
    expect(JSON.parse(st.stdout)[0]).toMatchObject({ state: 'valid' });
  });

  it('an http://[::1]:port/… redirect URL is listened on ::1', async () => {
    const home = makeHome();
    await setupWebApp(home, { baseUrl: sb.url, ...DEFAULT_SANDBOX_CLIENT, redirectUrl: 'http://[::1]/callback' });
    let resolveUrl!: (u: string) => void;
    const url = new Promise<string>((r) => (resolveUrl = r));
    let buffer = '';
    const done = runCli(home, ['auth', 'get-authorization-code', '--app', APP, '--no-browser', '--yes', '--json'], {
      onStderr: (chunk) => {
        buffer += chunk;
        const m = /^(http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+)$/m.exec(buffer);
        if (m) resolveUrl(m[1]);
      },
    });
    void done.then((r) => resolveUrl(`(exited ${r.code}: ${r.stderr})`));
    const authorizationUrl = await url;
    const redirectUri = new URL(authorizationUrl).searchParams.get('redirect_uri')!;
    expect(redirectUri).toMatch(/^http:\/\/\[::1\]:\d+\/callback$/);
    const location = await journey(authorizationUrl, 'grant');
    expect(location.startsWith(redirectUri + '?')).toBe(true);
    expect((await fetch(location)).status).toBe(200);
    const r = await done;
    expect(r.code, r.stderr).toBe(0);
  });

  it('access_denied → a clear message', async () => {
    const { url, done } = startLoopbackCli(t);
    const location = await journey(await url, 'deny');
    expect(new URL(location).searchParams.get('error')).toBe('access_denied');
    expect((await fetch(location)).status).toBe(400);
    const r = await done;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('authority was not granted at HMRC (access_denied)');
  });
});
