/**
 * The emulator against hostile callers (issue 10): redirect URIs match as RFC 8252 and HMRC say
 * (loopback: any port, scheme/host/path exact, no userinfo; anything else exactly), requests for
 * another Host or from another Origin are refused, and the test-only routes exist only when a test
 * turns them on. Real server on 127.0.0.1, real fetch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { redirectAllowed } from '../../src/emulator/oauth.js';
import { startSandbox, type RunningSandbox } from '../../src/emulator/server.js';
import { CLIENT, USER, postForm } from './helpers.js';

describe('redirect URI matching', () => {
  const registered = { ...CLIENT, redirectUris: ['http://127.0.0.1:8080/cb', 'https://app.example/cb'] };
  it.each([
    ['registered loopback, another port (RFC 8252 §7.3)', 'http://127.0.0.1:51234/cb', true],
    ['registered loopback, exact', 'http://127.0.0.1:8080/cb', true],
    ['loopback with user information', 'http://127.0.0.1:1@evil.example/cb', false],
    ['loopback userinfo on the registered host', 'http://user@127.0.0.1:8080/cb', false],
    ['another loopback path', 'http://127.0.0.1:8080/cb/other', false],
    ['another loopback host spelling', 'http://localhost:8080/cb', false],
    ['https instead of http on loopback', 'https://127.0.0.1:8080/cb', false],
    ['registered non-loopback, exact', 'https://app.example/cb', true],
    ['registered non-loopback as a prefix', 'https://app.example/cb/../steal', false],
    ['registered non-loopback, another port', 'https://app.example:444/cb', false],
    ['fragment', 'http://127.0.0.1:8080/cb#x', false],
  ])('%s: %s → %s', (_name, uri, allowed) => {
    expect(redirectAllowed(registered, uri)).toBe(allowed);
  });

  it('a wildcard is no pattern: it matches only itself', () => {
    const wild = { ...CLIENT, redirectUris: ['http://127.0.0.1:*/cb', 'https://*.example/cb'] };
    expect(redirectAllowed(wild, 'http://127.0.0.1:1@evil.example/cb')).toBe(false);
    expect(redirectAllowed(wild, 'https://evil.example/cb')).toBe(false);
  });

  it('without a registered list: out-of-band or any loopback URL, never userinfo', () => {
    expect(redirectAllowed(CLIENT, 'urn:ietf:wg:oauth:2.0:oob')).toBe(true);
    expect(redirectAllowed(CLIENT, 'http://[::1]:4000/callback')).toBe(true);
    expect(redirectAllowed(CLIENT, 'http://127.0.0.1:1@evil.example/cb')).toBe(false);
    expect(redirectAllowed(CLIENT, 'http://evil.example/cb')).toBe(false);
  });
});

describe('requests the emulator refuses', () => {
  let sb: RunningSandbox;
  let open: RunningSandbox;
  beforeAll(async () => {
    sb = await startSandbox({ rateLimitPerSecond: 10_000 });
    open = await startSandbox({ rateLimitPerSecond: 10_000, testRoutes: true });
  });
  afterAll(async () => {
    await sb?.close();
    await open?.close();
  });

  /** A raw request with a Host header of our choosing (fetch does not let a caller set Host). */
  function withHost(port: number, host: string, path: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, headers: { Host: host } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('a Host that is not the emulator (DNS rebinding) gets 403', async () => {
    expect(await withHost(sb.port, 'evil.example', '/hello/world')).toBe(403);
    expect(await withHost(sb.port, `evil.example:${sb.port}`, '/hello/world')).toBe(403);
    expect(await withHost(sb.port, `127.0.0.1:${sb.port}`, '/hello/world')).not.toBe(403);
    expect(await withHost(sb.port, `localhost:${sb.port}`, '/hello/world')).not.toBe(403);
  });

  it('a cross-site Origin gets 403, on the sign-in forms and on the control routes', async () => {
    const cross = { Origin: 'https://evil.example', 'Content-Type': 'application/x-www-form-urlencoded' };
    const signIn = await fetch(`${sb.url}/api-test-login/sign-in`, { method: 'POST', headers: cross, body: 'session=x&userId=u&password=p' });
    expect(signIn.status).toBe(403);
    const control = await fetch(`${open.url}/__control/clock`, { method: 'POST', headers: { Origin: 'https://evil.example', 'Content-Type': 'application/json' }, body: '{"advanceMs":1}' });
    expect(control.status).toBe(403);
    const nullOrigin = await fetch(`${open.url}/__control/stats`, { headers: { Origin: 'null' } });
    expect(nullOrigin.status).toBe(403);
    const own = await fetch(`${open.url}/__control/stats`, { headers: { Origin: open.url } });
    expect(own.status).toBe(200);
  });

  it('the test-only routes do not exist unless the option turns them on', async () => {
    const shortcut = await postForm(`${sb.url}/__test/authorize`, { client_id: CLIENT.clientId, userId: USER.userId, password: USER.password, scope: 'read:vat' });
    expect(shortcut.status).toBe(404);
    expect((await fetch(`${sb.url}/__control/stats`)).status).toBe(404);
    expect((await fetch(`${sb.url}/__control/clock`, { method: 'POST', body: '{"advanceMs":1}' })).status).toBe(404);
    const enabled = await postForm(`${open.url}/__test/authorize`, { client_id: CLIENT.clientId, userId: USER.userId, password: USER.password, scope: 'read:vat' });
    expect(enabled.status).toBe(200);
  });

  it('an authorization request with a userinfo redirect is refused at /oauth/authorize', async () => {
    const u = new URL(`${sb.url}/oauth/authorize`);
    for (const [k, v] of Object.entries({ response_type: 'code', client_id: CLIENT.clientId, scope: 'read:vat', redirect_uri: 'http://127.0.0.1:1@evil.example/cb' })) u.searchParams.set(k, v);
    const res = await fetch(u, { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'invalid_request', error_description: 'redirect_uri is invalid' });
  });
});
