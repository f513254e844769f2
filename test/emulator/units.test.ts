import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { serveCommand } from '../../src/cli/commands/sandbox.js';
import { MtdvatError } from '../../src/errors.js';
import { loadSandboxConfig } from '../../src/emulator/config.js';
import { DEFAULT_TEST_USER } from '../../src/emulator/defaults.js';
import { Decimal } from '../../src/lib/decimal.js';
import { parseJsonExact, stringifyExact } from '../../src/lib/exact-json.js';
import { EMULATOR_JSON_LIMITS as EMULATOR } from '../../src/emulator/vat.js';
import { generateVrn, isValidVrn } from '../../src/emulator/vrn.js';

describe('exact JSON (emulator limits)', () => {
  it.each([
    ['1.000', 3, true],
    ['1.00', 2, true],
    ['100.0', 1, true],
    ['100.5', 1, false],
    ['1e2', -2, true],
    ['1.5E1', 0, true],
    ['-0.01', 2, false],
  ])('%s has scale %d (whole: %s)', (raw, scale, whole) => {
    const d = Decimal.parse(raw);
    expect(d.decimalPlaces).toBe(scale);
    expect(d.isWhole).toBe(whole);
  });

  it('exact arithmetic and comparison across scales', () => {
    const sum = Decimal.parse('0.1').add(Decimal.parse('0.2'));
    expect(sum.compare(Decimal.parse('0.30'))).toBe(0);
    expect(Decimal.parse('10').subtract(Decimal.parse('40.5')).abs().toString()).toBe('30.5');
    expect(Decimal.parse('1.0').compare(Decimal.parse('1'))).toBe(0);
  });

  it('parses structures and keeps the raw number text on output', () => {
    const text = '{"a":[1.00,true,null,"x\\n\\u00e9"],"b":{"c":-0.50}}';
    expect(stringifyExact(parseJsonExact(text, EMULATOR))).toBe('{"a":[1.00,true,null,"x\\né"],"b":{"c":-0.50}}');
  });

  it.each(['{', '[1,]', '01', '1.', '{"a":1}x', '{"a" 1}', "{'a':1}", '"\u0001"', 'tru', '1e99999'])('rejects %j', (text) => {
    expect(() => parseJsonExact(text, EMULATOR)).toThrow(SyntaxError);
  });
});

describe('vrn', () => {
  it('default test user VRN is valid; generated VRNs are valid; classic and 9755 checks', () => {
    expect(isValidVrn(DEFAULT_TEST_USER.vrn)).toBe(true);
    for (let i = 0; i < 200; i++) expect(isValidVrn(generateVrn())).toBe(true);
    expect(isValidVrn('666555444')).toBe(false);
    expect(isValidVrn('666555442')).toBe(true); // 9755 variant
    expect(isValidVrn('12345678')).toBe(false);
  });
});

describe('loadSandboxConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtdvat-sandbox-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, content: string) => {
    const file = join(dir, name);
    writeFileSync(file, content);
    return file;
  };

  it('reads clients, test users and the rate limit', () => {
    const file = write(
      'ok.json',
      JSON.stringify({
        clients: [{ clientId: 'c1', clientSecret: 's3cret', redirectUris: ['http://127.0.0.1:9000/cb'] }],
        testUsers: [{ userId: 'u1', password: 'p', vrn: '666555497' }],
        rateLimitPerSecond: 10,
      }),
    );
    expect(loadSandboxConfig(file)).toEqual({
      clients: [{ clientId: 'c1', clientSecret: 's3cret', redirectUris: ['http://127.0.0.1:9000/cb'] }],
      testUsers: [{ userId: 'u1', password: 'p', vrn: '666555497' }],
      rateLimitPerSecond: 10,
    });
  });

  it.each([
    ['missing file', null, /file not found/],
    ['bad JSON', '{nope', /not valid JSON/],
    ['array', '[]', /top level must be a JSON object/],
    ['unknown key', '{"port":1}', /unknown key "port"/],
    ['client without secret', '{"clients":[{"clientId":"c"}]}', /clients\[0\]\.clientSecret/],
    ['bad vrn', '{"testUsers":[{"userId":"u","password":"p","vrn":"12"}]}', /testUsers\[0\]\.vrn/],
    ['bad rate', '{"rateLimitPerSecond":0}', /rateLimitPerSecond/],
  ])('%s → MtdvatError', (name, content, message) => {
    const file = content === null ? join(dir, 'absent.json') : write(`${name.replace(/\s/g, '-')}.json`, content);
    let caught: unknown;
    try {
      loadSandboxConfig(file);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(MtdvatError);
    expect((caught as Error).message).toMatch(message);
  });

  it('never echoes a secret in errors', () => {
    const file = write('dup.json', '{"clients":[{"clientId":"c","clientSecret":"TOPSECRET"},{"clientId":"c","clientSecret":"TOPSECRET"}]}');
    expect(() => loadSandboxConfig(file)).toThrow(/listed twice/);
    try {
      loadSandboxConfig(file);
    } catch (e) {
      expect((e as Error).message).not.toContain('TOPSECRET');
    }
  });
});

describe('sandbox command', () => {
  it('--json prints one line, serves, and closes on SIGTERM', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const handler = serveCommand.handler as (argv: Record<string, unknown>) => Promise<void>;
    const running = handler({ port: 0, json: true, _: [], $0: 'mtdvat' });
    try {
      await vi.waitFor(() => expect(lines.length).toBe(1));
    } finally {
      spy.mockRestore();
    }
    const out = JSON.parse(lines[0]) as { url: string; port: number; clientId: string; testUsers: { userId: string; vrn: string }[] };
    expect(lines[0].trim().split('\n')).toHaveLength(1);
    expect(out.clientId).toBe('mtdvat-local-sandbox-client');
    expect(out.testUsers).toEqual([{ userId: DEFAULT_TEST_USER.userId, vrn: DEFAULT_TEST_USER.vrn }]);
    expect(lines[0]).not.toContain('secret');
    const hello = await fetch(`${out.url}/hello/world`, { headers: { Accept: 'application/vnd.hmrc.1.0+json' } });
    expect(hello.status).toBe(200);
    process.emit('SIGTERM');
    await running;
    await expect(fetch(`${out.url}/hello/world`)).rejects.toThrow();
  });

  it('rejects a bad port with a UsageError', async () => {
    const handler = serveCommand.handler as (argv: Record<string, unknown>) => Promise<void>;
    await expect(handler({ port: 70000, _: [], $0: 'mtdvat' })).rejects.toThrow(/--port/);
  });
});
