import { describe, expect, it } from 'vitest';
import { escapeControls, escapeControlsKeepLines, jsonSafe } from '../../src/lib/terminal-text.js';
import { shellQuote } from '../../src/lib/shell-quote.js';
import { execFileSync } from 'node:child_process';

describe('escapeControls', () => {
  it('shows C0, DEL, C1 and bidi characters as escapes', () => {
    expect(escapeControls('a\x1b[31mb')).toBe('a\\x1b[31mb');
    expect(escapeControls('\x1b]8;;https://evil.example\x07x')).toBe('\\x1b]8;;https://evil.example\\x07x');
    expect(escapeControls('over\rwrite\n\t\x00\x7f')).toBe('over\\x0dwrite\\x0a\\x09\\x00\\x7f');
    expect(escapeControls('c1 \u009b31m \u0085')).toBe('c1 \\x9b31m \\x85');
    expect(escapeControls('\u202eevil\u202c \u2066x\u2069 \u200f \u061c \u2028')).toBe('\\u202eevil\\u202c \\u2066x\\u2069 \\u200f \\u061c \\u2028');
  });
  it('leaves ordinary text alone, and escaping twice changes nothing', () => {
    const plain = 'Café £1,000 — naïve 日本 🚀 "quotes" \\ back';
    expect(escapeControls(plain)).toBe(plain);
    const once = escapeControls('x\x1by\u202e');
    expect(escapeControls(once)).toBe(once);
  });
  it('keeps line breaks only in the block variant', () => {
    expect(escapeControlsKeepLines('a\nb\rc\x1b')).toBe('a\nb\\x0dc\\x1b');
  });
});

describe('jsonSafe', () => {
  it('writes C1, DEL and bidi characters as \\u escapes and stays the same JSON value', () => {
    const value = { name: 'a\u009bb\u202ec\x7f\u2028 £é', esc: '\x1b' };
    const text = jsonSafe(JSON.stringify(value));
    expect(text).not.toMatch(/[\u007f-\u009f\u202e\u2028\x1b]/);
    expect(text).toContain('\\u009b');
    expect(text).toContain('\\u202e');
    expect(text).toContain('£é');
    expect(JSON.parse(text)).toEqual(value);
  });
});

describe('shellQuote', () => {
  it('leaves plain words bare and single-quotes the rest', () => {
    expect(shellQuote('DAT')).toBe('DAT');
    expect(shellQuote('https://test-api.service.hmrc.gov.uk')).toBe('https://test-api.service.hmrc.gov.uk');
    expect(shellQuote('Sandbox HMRC')).toBe("'Sandbox HMRC'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('')).toBe("''");
  });
  it('what sh reads back is the word itself, and nothing runs', () => {
    for (const word of ['$(touch pwned)', '`id`', "a'b\"c", '$HOME', 'x; rm -rf /', '-n', 'new\nline', '!!', '*']) {
      const out = execFileSync('sh', ['-c', `printf '%s' ${shellQuote(word)}`], { encoding: 'utf8' });
      expect(out).toBe(word);
    }
  });
});
