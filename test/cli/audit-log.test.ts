/**
 * `auth log` and `vat log` (one shared builder, src/cli/audit-log-command.ts) on the BUILT binary:
 * each lists only its own audit category, newest first, honours --app and --limit, prints exactly one
 * JSON document with --json, and never shows a secret-looking detail.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../../src/store/audit.js';
import { makeHome, runCli, type TestHome } from '../helpers/setup-web-app.js';

let t: TestHome;
let empty: TestHome;

beforeAll(() => {
  t = makeHome();
  empty = makeHome();
  const ctx = t.open();
  try {
    audit(ctx.db, { category: 'auth', company: ctx.company, app: 'A', event: 'token obtained', detail: { scope: 'read:vat', n: 3, nested: { x: 1 } } });
    audit(ctx.db, { category: 'auth', company: ctx.company, app: 'B', event: 'token refresh failed', detail: { error: 'boom', refresh_token: 'LEAK1' } });
    audit(ctx.db, {
      category: 'hmrc',
      company: ctx.company,
      app: 'A',
      event: 'GET /obligations',
      detail: { status: 400, attempt: 2, response: { code: 'VRN_INVALID' }, responseHeaders: { 'x-correlationid': 'c-1' }, authorization: 'LEAK2' },
    });
    audit(ctx.db, { category: 'hmrc', company: ctx.company, app: 'B', event: 'POST /returns', detail: { error: 'timed out' } });
  } finally {
    ctx.close();
  }
});

afterAll(() => {
  for (const h of [t, empty]) rmSync(h.home, { recursive: true, force: true });
});

describe.each([
  ['auth', ['At', 'App', 'Event', 'Detail'], ['token refresh failed', 'boom'], ['token obtained', 'scope=read:vat n=3'], 'No auth events yet.'],
  ['vat', ['At', 'App', 'Request', 'Result', 'Correlation ID'], ['POST /returns', 'timed out'], ['GET /obligations (attempt 2)', 'HTTP 400', 'c-1'], 'No HMRC requests recorded yet.'],
] as const)('%s log', (group, columns, newest, oldest, none) => {
  it('prints a table, newest first, without secrets', async () => {
    const r = await runCli(t, [group, 'log']);
    expect(r.code, r.stderr).toBe(0);
    for (const c of columns) expect(r.stdout).toContain(c);
    for (const s of [...newest, ...oldest]) expect(r.stdout).toContain(s);
    expect(r.stdout.indexOf(newest[0])).toBeLessThan(r.stdout.indexOf(oldest[0]));
    expect(r.stdout + r.stderr).not.toMatch(/LEAK/);
  });

  it('--json is one document of this category only; --app and --limit filter', async () => {
    const r = await runCli(t, [group, 'log', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { category: string; app: string; event: string }[];
    expect(rows.map((x) => x.event)).toEqual([newest[0], oldest[0].replace(' (attempt 2)', '')]);
    expect(new Set(rows.map((x) => x.category))).toEqual(new Set([group === 'auth' ? 'auth' : 'hmrc']));
    expect(r.stdout).not.toMatch(/LEAK/);
    const onlyA = JSON.parse((await runCli(t, [group, 'log', '--json', '--app', 'A'])).stdout) as { app: string }[];
    expect(onlyA.map((x) => x.app)).toEqual(['A']);
    const one = JSON.parse((await runCli(t, [group, 'log', '--json', '--limit', '1'])).stdout) as { event: string }[];
    expect(one.map((x) => x.event)).toEqual([newest[0]]);
  });

  it('says so when there is nothing yet; --json gives []', async () => {
    const r = await runCli(empty, [group, 'log']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(none);
    expect(JSON.parse((await runCli(empty, [group, 'log', '--json'])).stdout)).toEqual([]);
  });
});
