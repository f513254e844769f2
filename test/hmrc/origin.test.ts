/**
 * Credentials go only to the web application's own origin (issue 10, "Credentials and tokens belong to
 * one origin"), through the built CLI against real servers on 127.0.0.1: an absolute or
 * scheme-relative token/authorization path, and a redirect from the token endpoint, never carry the
 * client secret, code, verifier or refresh token anywhere else.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SANDBOX_CLIENT } from '../../src/lib/emulator-defaults.js';
import { APP, makeHome, runCli, setupWebApp, type TestHome } from '../helpers/setup-web-app.js';

interface Seen {
  method: string;
  url: string;
  body: string;
}

/** A real HTTP server that records every request and answers with `answer`. */
async function recorder(answer: (req: IncomingMessage, res: import('node:http').ServerResponse) => void = (_q, r) => r.writeHead(404).end()): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body });
      answer(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())));
});

async function withFields(t: TestHome, fields: Record<string, string>): Promise<void> {
  const ctx = t.open();
  try {
    const row = ctx.db.prepare(`SELECT data FROM records WHERE entity = 'WebApplication' AND natural_key = ?`).get(JSON.stringify([APP])) as { data: string };
    ctx.db.prepare(`UPDATE records SET data = ? WHERE entity = 'WebApplication' AND natural_key = ?`).run(JSON.stringify({ ...JSON.parse(row.data), ...fields }), JSON.stringify([APP]));
  } finally {
    ctx.close();
  }
}


describe('the HTTP client sends only to the base URL origin', () => {
  for (const bad of ['ABSOLUTE', '//SCHEME-RELATIVE'] as const) {
    it(`a stored token path that is ${bad === 'ABSOLUTE' ? 'an absolute URL' : 'scheme-relative (//host)'} is refused before anything is sent`, async () => {
      const home = makeHome();
      const hmrc = await recorder();
      const evil = await recorder((_q, r) => r.writeHead(200, { 'Content-Type': 'application/json' }).end('{"access_token":"a","refresh_token":"b","expires_in":14400}'));
      servers.push(hmrc.server, evil.server);
      await setupWebApp(home, { baseUrl: hmrc.url, clientId: DEFAULT_SANDBOX_CLIENT.clientId, clientSecret: DEFAULT_SANDBOX_CLIENT.clientSecret });
      const get = await runCli(home, ['auth', 'get-authorization-code', '--app', APP, '--json', '--no-browser', '--yes']);
      expect(get.code, get.stderr).toBe(0);
      const path = bad === 'ABSOLUTE' ? `${evil.url}/steal` : `//${new URL(evil.url).host}/steal`;
      await withFields(home, { TOKENURLPATH: path });
      const r = await runCli(home, ['auth', 'obtain-access-token', '--app', APP, '--code-stdin'], { stdin: 'abcdef0123456789' });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/token URL path .*(absolute URL|"\/\/")/);
      expect(r.stderr).toContain('web-apps set');
      expect(evil.seen).toEqual([]);
      expect(hmrc.seen).toEqual([]);
      expect(r.stdout + r.stderr).not.toContain(DEFAULT_SANDBOX_CLIENT.clientSecret);
    });
  }

  it('an authorization path on another host is refused by get-authorization-code', async () => {
    const home = makeHome();
    await setupWebApp(home, { baseUrl: 'http://127.0.0.1:9', clientId: DEFAULT_SANDBOX_CLIENT.clientId, clientSecret: DEFAULT_SANDBOX_CLIENT.clientSecret });
    await withFields(home, { AUTHORIZATIONURLPATH: '//evil.example/authorize' });
    const r = await runCli(home, ['auth', 'get-authorization-code', '--app', APP, '--no-browser', '--yes']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(''); // no authorization URL was printed
    expect(r.stderr).toMatch(/authorization URL path "\/\/evil\.example\/authorize" starts with "\/\/"/);
  });

  it('a 307 from the token endpoint is an error and is never followed (the form is not re-sent)', async () => {
    const home = makeHome();
    const evil = await recorder((_q, r) => r.writeHead(200, { 'Content-Type': 'application/json' }).end('{"access_token":"a","refresh_token":"b","expires_in":14400}'));
    const hmrc = await recorder((_q, r) => r.writeHead(307, { Location: `${evil.url}/steal` }).end());
    servers.push(hmrc.server, evil.server);
    await setupWebApp(home, { baseUrl: hmrc.url, clientId: DEFAULT_SANDBOX_CLIENT.clientId, clientSecret: DEFAULT_SANDBOX_CLIENT.clientSecret });
    const get = await runCli(home, ['auth', 'get-authorization-code', '--app', APP, '--json', '--no-browser', '--yes']);
    expect(get.code, get.stderr).toBe(0);
    const r = await runCli(home, ['auth', 'obtain-access-token', '--app', APP, '--code-stdin'], { stdin: 'abcdef0123456789' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/HTTP 307 \(a redirect to http:\/\/127\.0\.0\.1:\d+\); mtdvat never follows redirects/);
    expect(hmrc.seen).toHaveLength(1);
    expect(evil.seen).toEqual([]);
    const status = await runCli(home, ['auth', 'status', '--json']);
    expect(JSON.parse(status.stdout)[0].accessTokenExpiresAt).toBeNull();
  });
});

describe('web-apps set refuses paths that are not paths', () => {
  for (const [option, value] of [
    ['--token-path', 'http://evil.example/steal'],
    ['--token-path', '//evil.example/x'],
    ['--authorization-path', 'https://evil.example/authorize'],
    ['--authorization-path', 'oauth/authorize'],
  ]) {
    it(`${option} ${value} → exit 1, nothing changed`, async () => {
      const home = makeHome();
      await setupWebApp(home, { baseUrl: 'http://127.0.0.1:9', clientId: 'id-0001', clientSecret: 'secret-0001' });
      const r = await runCli(home, ['web-apps', 'set', APP, option, value]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/(Token|Authorization) URL path ".*" (is an absolute URL|starts with "\/\/"|must start with "\/")/);
      const show = JSON.parse((await runCli(home, ['web-apps', 'show', APP, '--json'])).stdout);
      expect(show.fields.TOKENURLPATH).toBe('/oauth/token');
      expect(show.fields.AUTHORIZATIONURLPATH).toBe('/oauth/authorize');
    });
  }
});
