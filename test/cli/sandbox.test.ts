import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startSandbox, type RunningSandbox } from '../../src/emulator/server.js';
import { DEFAULT_SANDBOX_CLIENT } from '../../src/lib/emulator-defaults.js';
import { BIN, ROOT, newMasterKey, runCli, tempDir } from '../helpers/cli.js';

let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, rateLimitPerSecond: 1000 });
});
afterAll(() => sandbox.close());

describe('mtdvat sandbox (built binary)', () => {
  it('serves on a loopback port, prints its URL as JSON, and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'sandbox', '--port', '0', '--json'], { env: { PATH: process.env.PATH, CI: 'true' } });
    let out = '';
    const line: string = await new Promise((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(out.split('\n')[0]);
      });
      child.on('error', reject);
    });
    const info = JSON.parse(line);
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.clientId).toBe(DEFAULT_SANDBOX_CLIENT.clientId);
    expect(out).not.toContain(DEFAULT_SANDBOX_CLIENT.clientSecret);
    const hello = await fetch(`${info.url}/hello/world`, { headers: { Accept: 'application/vnd.hmrc.1.0+json' } });
    expect(await hello.json()).toEqual({ message: 'Hello World' });
    const code = await new Promise((resolve) => {
      child.on('close', resolve);
      child.kill('SIGTERM');
    });
    expect(code).toBe(0);
  });

  it('create-test-user makes an organisation user through the test-user API, using the imported sandbox app', async () => {
    const home = join(tempDir(), 'home');
    const env = { MTDVAT_MASTER_KEY: newMasterKey() };
    // The local package carries the emulator's public demo client for "Sandbox HMRC" (mtd-vat.zip carries none).
    expect((await runCli(['import-package', join(ROOT, 'packages-data', 'mtd-vat-local.zip'), '--home', home], { env })).code).toBe(0);
    expect((await runCli(['web-apps', 'set', 'Sandbox HMRC', '--base-url', sandbox.url, '--yes', '--home', home], { env })).code).toBe(0);
    const result = await runCli(['sandbox', 'create-test-user', '--app', 'Sandbox HMRC', '--home', home, '--json'], { env });
    expect(result.stderr).not.toContain(DEFAULT_SANDBOX_CLIENT.clientSecret);
    expect(result.code).toBe(0);
    const user = JSON.parse(result.stdout);
    expect(user.userId).toMatch(/^\d{12}$/);
    expect(user.vrn).toMatch(/^\d{9}$/);
  });
});
