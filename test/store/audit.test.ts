import { describe, expect, it } from 'vitest';
import { redact } from '../../src/store/audit.js';

describe('redact', () => {
  it.each<[string, unknown, unknown]>([
    ['token fields', { access_token: 'a', refresh_token: 'r', expires_in: 14400 }, { access_token: '[redacted]', refresh_token: '[redacted]', expires_in: 14400 }],
    ['nested form body', { form: { client_secret: 's', code: '8c1a3f0e9b6d4c2a8e7f6d5c4b3a2910', grant_type: 'authorization_code' } }, { form: { client_secret: '[redacted]', code: '[redacted]', grant_type: 'authorization_code' } }],
    ["HMRC's error code stays readable", { response: { code: 'INVALID_CREDENTIALS', message: 'Invalid Authentication information provided' } }, { response: { code: 'INVALID_CREDENTIALS', message: 'Invalid Authentication information provided' } }],
    ['arrays', [{ password: 'p' }, { ok: 1 }], [{ password: '[redacted]' }, { ok: 1 }]],
    ['case-insensitive keys', { Authorization: 'Bearer x' }, { Authorization: '[redacted]' }],
  ])('%s', (_n, input, expected) => {
    expect(redact(input)).toEqual(expected);
  });
});
