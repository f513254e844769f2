/**
 * A store with the shipped local package, pointed at a fresh local HMRC emulator, authorized as the
 * emulator's test user, with the TEST processing's VRN set and the open obligations imported as
 * "New VAT return" messages — the starting point of every Electronic messages flow test that runs
 * the built CLI.
 */
import { expect } from 'vitest';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startSandbox, type RunningSandbox } from '../../src/emulator/server.js';
import { DEFAULT_SANDBOX_CLIENT } from '../../src/lib/emulator-defaults.js';
import { DEFAULT_TEST_USER } from '../../src/emulator/defaults.js';
import { APP, BIN, makeHome, runCli, type TestHome } from './setup-web-app.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const TEST_PROCESSING = 'UK MTD VAT TEST';
export const VRN = DEFAULT_TEST_USER.vrn;

export interface OpenMessage {
  message: number;
  fromDate: string;
  toDate: string;
}

export interface EmEmulator {
  sb: RunningSandbox;
  t: TestHome;
  /** Open periods as messages in "New VAT return", oldest first. */
  open: OpenMessage[];
  /** The period keys HMRC knows (learned through the raw API, to prove `em` never prints them). */
  periodKeys: string[];
  close(): Promise<void>;
}

async function authorize(sb: RunningSandbox, t: TestHome): Promise<void> {
  const get = await runCli(t, ['auth', 'get-authorization-code', '--app', APP, '--json', '--no-browser', '--yes']);
  expect(get.code, get.stderr).toBe(0);
  const url = new URL((JSON.parse(get.stdout) as { authorizationUrl: string }).authorizationUrl);
  const form: Record<string, string> = { userId: DEFAULT_TEST_USER.userId, password: DEFAULT_TEST_USER.password };
  for (const k of ['client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method']) {
    const v = url.searchParams.get(k);
    if (v !== null) form[k] = v;
  }
  const res = await fetch(`${sb.url}/__test/authorize`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
  const { code } = (await res.json()) as { code: string };
  const obtain = await runCli(t, ['auth', 'obtain-access-token', '--app', APP, '--code-stdin'], { stdin: `${code}\n` });
  expect(obtain.code, obtain.stderr).toBe(0);
}

export async function startEmEmulator(): Promise<EmEmulator> {
  if (!existsSync(BIN)) throw new Error('build first: npm run build');
  const sb = await startSandbox({ port: 0, clients: [DEFAULT_SANDBOX_CLIENT], testUsers: [DEFAULT_TEST_USER], rateLimitPerSecond: 10_000, testRoutes: true });
  const t = makeHome();
  const imp = await runCli(t, ['import-package', join(ROOT, 'packages-data', 'mtd-vat-local.zip'), '--json']);
  expect(imp.code, imp.stderr).toBe(0);
  // Moving the web application to another origin is confirmed with --yes; its web services follow.
  const moved = await runCli(t, ['web-apps', 'set', APP, '--base-url', sb.url, '--yes']);
  expect(moved.code, moved.stderr).toBe(0);
  await authorize(sb, t);
  const obl = await runCli(t, ['vat', 'obligations', '--app', APP, '--vrn', VRN, '--status', 'O', '--yes', '--json']);
  expect(obl.code, obl.stderr).toBe(0);
  const periodKeys = (JSON.parse(obl.stdout) as { obligations: { periodKey: string }[] }).obligations.map((o) => o.periodKey);
  expect((await runCli(t, ['em', 'processings', 'set', TEST_PROCESSING, '--field', `Tax registration number=${VRN}`])).code).toBe(0);
  const request = JSON.parse((await runCli(t, ['em', 'new', '--processing', TEST_PROCESSING, '--action', 'Create VAT obligation request', '--json'])).stdout) as { message: number };
  const run = await runCli(t, ['em', 'run', String(request.message), '--yes', '--json']);
  expect(run.code, run.stderr).toBe(0);
  const list = JSON.parse((await runCli(t, ['em', 'list', '--processing', TEST_PROCESSING, '--status', 'New VAT return', '--json'])).stdout) as OpenMessage[];
  return {
    sb,
    t,
    open: list.map((m) => ({ message: m.message, fromDate: m.fromDate, toDate: m.toDate })),
    periodKeys,
    close: async () => {
      await sb.close();
      rmSync(t.home, { recursive: true, force: true });
    },
  };
}
