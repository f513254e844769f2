/**
 * `mtdvat ui` as shipped (the built binary): one JSON line with the address once listening, the
 * session works, SIGTERM stops it cleanly (exit 0, port closed), bad ports are usage errors, and the
 * launch file for the browser never outlives the run.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { BIN, makeHome, setupWebApp } from '../helpers/setup-web-app.js';
import { Browser } from '../ui/client.js';
import { send } from '../ui/client.js';

function startUiProcess(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [BIN, 'ui', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const firstLine = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, firstLine, exited, stderr: () => stderr };
}

describe('mtdvat ui (built CLI)', () => {
  it('prints {"url"} once listening, serves the session, stops cleanly on SIGTERM', async () => {
    const t = makeHome();
    const p = startUiProcess(['--port', '0', '--no-open', '--json'], t.env);
    const line = await p.firstLine;
    const { url } = JSON.parse(line) as { url: string };
    expect(Object.keys(JSON.parse(line))).toEqual(['url']);
    const u = new URL(url);
    expect(u.hostname).toBe('127.0.0.1');
    const port = Number(u.port);
    const first = await send(port, u.pathname + u.search);
    expect(first.status).toBe(303);
    const cookie = String(first.headers['set-cookie']).split(';')[0];
    expect((await send(port, '/web-apps', { headers: { cookie } })).status).toBe(200);
    expect((await send(port, '/web-apps')).status).toBe(401);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    await expect(send(port, '/')).rejects.toThrow();
    // The token is printed once, on stdout; never on stderr.
    expect(p.stderr()).not.toContain(u.searchParams.get('token')!);
  });

  it('opens no browser where there is none, and leaves no launch file behind', async () => {
    const t = makeHome();
    const env = { ...t.env };
    delete env.DISPLAY;
    delete env.WAYLAND_DISPLAY;
    const p = startUiProcess(['--port', '0'], env);
    const url = await p.firstLine;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    const tmp = join(t.home, 'tmp');
    expect(existsSync(tmp) ? readdirSync(tmp).filter((f) => f.startsWith('ui-launch-')) : []).toEqual([]);
    p.child.kill('SIGINT');
    expect(await p.exited).toBe(0);
    expect(p.stderr()).toContain('stopped');
  });

  it('refuses a port out of range (exit 2) and a port in use (exit 1)', async () => {
    const t = makeHome();
    const bad = spawn(process.execPath, [BIN, 'ui', '--port', '70000', '--no-open'], { env: t.env });
    let err = '';
    bad.stderr.on('data', (d) => (err += d));
    expect(await new Promise((r) => bad.once('exit', r))).toBe(2);
    expect(err).toContain('--port');

    const first = startUiProcess(['--port', '0', '--no-open'], t.env);
    const port = new URL(await first.firstLine).port;
    const second = spawn(process.execPath, [BIN, 'ui', '--port', port, '--no-open'], { env: t.env });
    let err2 = '';
    second.stderr.on('data', (d) => (err2 += d));
    expect(await new Promise((r) => second.once('exit', r))).toBe(1);
    expect(err2).toContain('already in use');
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  });

  it('stops at once on SIGTERM while an authorization waits for HMRC\'s redirect (the loopback listener closes)', async () => {
    const t = makeHome();
    await setupWebApp(t, { baseUrl: 'http://127.0.0.1:9', clientId: 'ui-cli-client', clientSecret: 'ui-cli-secret-0001' });
    const p = startUiProcess(['--port', '0', '--no-open', '--home', t.home], t.env);
    const u = new URL(await p.firstLine);
    const b = new Browser(Number(u.port));
    await b.signIn(u.href);
    const csrf = await b.csrf('/web-apps/Sandbox%20HMRC');
    const a = await b.post('/web-apps/Sandbox%20HMRC/get-authorization-code', { _csrf: csrf, redirect: 'loopback', consent: 'yes' });
    expect(a.status).toBe(303);
    expect(a.headers.location).toBe('/web-apps/Sandbox%20HMRC/authorization');
    const wait = await b.get(a.headers.location as string);
    const redirectUri = /Waiting for HMRC's redirect to this computer \((http:\/\/127\.0\.0\.1:\d+\/callback)\)/.exec(wait.text)?.[1];
    expect(redirectUri, /Waiting[^<]*/.exec(wait.text)?.[0]).toBeDefined();
    const started = Date.now();
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    // The listener is gone with the server.
    await expect(fetch(redirectUri!)).rejects.toThrow();
  });
});
