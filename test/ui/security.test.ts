/**
 * The workspace's gate, against the real server on a loopback port: no session → 401, another Host →
 * 403, a POST from another origin or without the CSRF token → 403 (uploads refused before a byte is
 * spooled), strict CSP on every answer, values from the store escaped, secrets never served.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context } from '../../src/context.js';
import { startUi, writeLaunchFile, type RunningUi } from '../../src/ui/server.js';
import { makeHome, setupWebApp, type TestHome } from '../helpers/setup-web-app.js';
import { Browser, send } from './client.js';

const CLIENT_ID = 'ui-test-client-id-0001';
const CLIENT_SECRET = 'ui-test-client-secret-7f3e9a1c5b2d';

describe('mtdvat ui: the gate', () => {
  let t: TestHome;
  let ctx: Context;
  let ui: RunningUi;
  let port: number;
  const served: Buffer[] = [];

  beforeAll(async () => {
    t = makeHome();
    await setupWebApp(t, { baseUrl: 'http://127.0.0.1:9', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    ctx = t.open({ MTDVAT_LIMIT_MAX_TOTAL_BYTES: '4096' });
    // A description with markup, as a hostile package could carry.
    const row = ctx.db.prepare("SELECT data FROM records WHERE entity = 'WebApplication'").get() as { data: string };
    const data = JSON.parse(row.data);
    data.DESCRIPTION = '<script>alert(1)</script> & "quoted"';
    ctx.db.prepare("UPDATE records SET data = ? WHERE entity = 'WebApplication'").run(JSON.stringify(data));
    ui = await startUi(ctx, { port: 0 });
    port = ui.port;
  });
  afterAll(async () => {
    await ui?.close();
    ctx?.close();
    const all = Buffer.concat(served).toString('utf8');
    // Nothing served in this file may carry a secret.
    expect(all).not.toContain(CLIENT_SECRET);
    expect(all).not.toContain(CLIENT_ID);
    expect(all).not.toContain(t.env.MTDVAT_MASTER_KEY!);
  });

  const keep = <T extends { body: Buffer }>(a: T) => (served.push(a.body), a);

  it('listens on 127.0.0.1 and prints the address with a token', () => {
    expect(ui.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/\\?token=[A-Za-z0-9_-]{43}$`));
  });

  it('answers 401 without a session, and with a wrong token', async () => {
    for (const path of ['/', '/web-apps', '/static/ui.css', '/verify/report.html', '/nothing']) {
      const a = keep(await send(port, path));
      expect(a.status, path).toBe(401);
      expect(a.headers['set-cookie']).toBeUndefined();
    }
    expect((await send(port, '/?token=wrong')).status).toBe(401);
    expect((await send(port, `/?token=${new URL(ui.url).searchParams.get('token')}x`)).status).toBe(401);
    expect((await send(port, '/verify', { method: 'POST', headers: { origin: `http://127.0.0.1:${port}` } })).status).toBe(401);
    // A forged cookie (right shape, wrong MAC) is no session either.
    expect((await send(port, '/', { headers: { cookie: `mtdvat_session_${port}=abc.def` } })).status).toBe(401);
  });

  it('turns the URL token into an HttpOnly SameSite=Strict cookie named after the port, and drops the token from the address', async () => {
    const b = new Browser(port);
    const a = await b.signIn(ui.url);
    expect(a.status).toBe(303);
    expect(a.headers.location).toBe('/');
    const cookie = String(a.headers['set-cookie']);
    expect(cookie).toMatch(new RegExp(`^mtdvat_session_${port}=`));
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).not.toContain(new URL(ui.url).searchParams.get('token')!);
    const home = keep(await b.get('/'));
    expect(home.status).toBe(200);
    expect(home.headers['content-security-policy']).toBe("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    expect(home.headers['x-frame-options']).toBe('DENY');
    expect(home.headers['cache-control']).toBe('no-store');
    expect(home.text).not.toMatch(/<script/i);
    expect(home.text).not.toMatch(/ style=/i);
  });

  it('answers 403 to another Host, even with the session (DNS rebinding)', async () => {
    const b = new Browser(port);
    await b.signIn(ui.url);
    for (const host of ['evil.example', `evil.example:${port}`, `localhost:${port}`, `127.0.0.1:${port + 1}`, '127.0.0.1', `[::1]:${port}`]) {
      const a = await send(port, '/web-apps', { headers: { host, cookie: b.cookie } });
      expect(a.status, host).toBe(403);
    }
    const token = new URL(ui.url).searchParams.get('token');
    expect((await send(port, `/?token=${token}`, { headers: { host: 'evil.example' } })).status).toBe(403);
  });

  it('answers 403 to a POST from another origin, without an origin, or without the CSRF token', async () => {
    const b = new Browser(port);
    await b.signIn(ui.url);
    const csrf = await b.csrf('/web-apps/Sandbox%20HMRC');
    const path = '/web-apps/Sandbox%20HMRC/credentials';
    const fields = { _csrf: csrf, clientSecret: 'changed-by-attacker' };
    expect((await b.post(path, fields, { origin: 'http://evil.example' })).status).toBe(403);
    expect((await b.post(path, fields, { origin: `http://127.0.0.1:${port + 1}` })).status).toBe(403);
    expect((await b.post(path, fields, { origin: 'null' })).status).toBe(403);
    expect((await b.post(path, fields, { 'sec-fetch-site': 'same-site' })).status).toBe(403);
    // No Origin: the Referer decides; neither → refused.
    const noOrigin = (await b.post(path, fields, { origin: '' }));
    expect(noOrigin.status).toBe(403);
    expect((await b.post(path, { clientSecret: 'x' })).status).toBe(403);
    expect((await b.post(path, { _csrf: 'forged', clientSecret: 'x' })).status).toBe(403);
    // Another session's token does not fit this session.
    const other = new Browser(port);
    await other.signIn(ui.url);
    expect((await b.post(path, { _csrf: await other.csrf('/verify'), clientSecret: 'x' })).status).toBe(403);
    // GET never changes anything: the action routes exist only as POST.
    expect((await b.get(`${path}?clientSecret=x`)).status).toBe(404);
    // Other methods are refused outright.
    expect((await send(port, '/verify', { method: 'PUT', headers: { cookie: b.cookie } })).status).toBe(405);
    // Nothing changed: the stored secret is still the first one.
    const { loadClientCredentials, loadWebApp } = await import('../../src/setup/web-app.js');
    const creds = await loadClientCredentials(ctx, loadWebApp(ctx, 'Sandbox HMRC'));
    expect(creds.clientSecret).toBe(CLIENT_SECRET);
  });

  it('accepts a same-origin POST with the token (post-redirect-get)', async () => {
    const b = new Browser(port);
    await b.signIn(ui.url);
    const a = await b.post('/verify', { _csrf: await b.csrf('/verify') });
    expect(a.status).toBe(303);
    expect(a.headers.location).toBe('/verify');
    const withReferer = await b.post('/verify', { _csrf: await b.csrf('/verify') }, { origin: '', referer: `http://127.0.0.1:${port}/verify` });
    expect(withReferer.status).toBe(303);
  });

  it('refuses a cross-origin or tokenless upload before spooling it, and a file over the MTDVAT_LIMIT_* limit', async () => {
    const b = new Browser(port);
    await b.signIn(ui.url);
    const csrf = await b.csrf('/import');
    const file = { field: 'package', name: 'p.zip', data: Buffer.alloc(1000, 1) };
    expect((await b.upload('/import/inspect', { _csrf: csrf }, file, { origin: 'http://evil.example' })).status).toBe(403);
    expect((await b.upload('/import/inspect', {}, file)).status).toBe(403);
    expect((await b.upload('/import/inspect', { _csrf: 'forged' }, file)).status).toBe(403);
    const big = await b.upload('/import/inspect', { _csrf: csrf }, { ...file, data: Buffer.alloc(10_000, 1) });
    expect(big.status).toBe(303);
    const page = keep(await b.get('/import'));
    expect(page.text).toContain('larger than 4,096 bytes');
    const spool = join(t.home, 'tmp');
    expect(existsSync(spool) ? readdirSync(spool) : []).toEqual([]);
    // Not a zip: the safe reader says so, and the spooled file is gone.
    const bad = await b.upload('/import/inspect', { _csrf: csrf }, file);
    expect(bad.status).toBe(303);
    expect(keep(await b.get('/import')).text).toMatch(/p\.zip: /);
    expect(readdirSync(spool)).toEqual([]);
  });

  it('escapes every stored value and never serves a client secret or ID', async () => {
    const b = new Browser(port);
    await b.signIn(ui.url);
    for (const path of ['/web-apps', '/web-apps/Sandbox%20HMRC']) {
      const a = keep(await b.get(path));
      expect(a.status).toBe(200);
      expect(a.text).not.toContain('<script>alert(1)</script>');
      expect(a.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot;');
      expect(a.text).toContain('set (encrypted)');
    }
    const details = keep(await b.get('/web-apps/Sandbox%20HMRC'));
    // Password inputs, never pre-filled.
    expect(details.text).toMatch(/<input id="clientSecret" name="clientSecret" type="password"[^>]*>/);
    expect(details.text).not.toMatch(/name="clientSecret"[^>]*value=/);
    keep(await b.get('/verify'));
    keep(await b.get('/verify/report.html'));
    keep(await b.get('/static/ui.css'));
  });

  it('hands the session URL to a browser through a 0600 launch file', () => {
    const f = writeLaunchFile(t.home, ui.url);
    expect(statSync(f.path).mode & 0o777).toBe(0o600);
    expect(readFileSync(f.path, 'utf8')).toContain(`url=${ui.url}`);
    f.remove();
    expect(existsSync(f.path)).toBe(false);
  });
});
