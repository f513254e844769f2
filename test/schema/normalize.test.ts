import { describe, expect, it } from 'vitest';
import { normalizeValue } from '../../src/schema/normalize.js';
import type { FieldSpec } from '../../src/schema/types.js';

const f = (spec: Partial<FieldSpec>): FieldSpec => ({ name: 'F', type: 'string', ...spec });

describe('normalizeValue', () => {
  it.each<[string, Partial<FieldSpec>, string, { value: string } | RegExp]>([
    ['string kept as is (spaces too)', {}, '  a b ', { value: '  a b ' }],
    ['empty optional string', {}, '', { value: '' }],
    ['empty required', { required: true }, '', /required/],
    ['too long (counts characters, not bytes)', { maxLength: 3 }, 'ééé', { value: 'ééé' }],
    ['too long', { maxLength: 3 }, 'abcd', /at most 3/],
    ['astral characters count once (6 UTF-16 units, 3 characters)', { maxLength: 3 }, '😀😀😀', { value: '😀😀😀' }],
    ['astral characters over the limit', { maxLength: 3 }, '😀😀😀😀', /is 4 characters long; at most 3/],
    ['NoYes Yes', { type: 'noyes' }, 'yes', { value: 'Yes' }],
    ['NoYes true', { type: 'noyes' }, 'TRUE', { value: 'Yes' }],
    ['NoYes 0', { type: 'noyes' }, '0', { value: 'No' }],
    ['NoYes empty → No', { type: 'noyes' }, '', { value: 'No' }],
    ['NoYes junk', { type: 'noyes' }, 'maybe', /not Yes or No/],
    ['int', { type: 'int' }, ' 0201 ', { value: '201' }],
    ['int out of range', { type: 'int', min: 100, max: 599 }, '99', /outside/],
    ['int junk', { type: 'int' }, '2e2', /whole number/],
    ['enum symbol, any case', { type: 'enum', values: ['GET', 'POST'] }, 'post', { value: 'POST' }],
    ['enum label alias', { type: 'enum', values: ['Successfull'], aliases: { Successful: 'Successfull' } }, 'successful', { value: 'Successfull' }],
    ['enum unknown', { type: 'enum', values: ['GET'] }, 'FETCH', /not one of GET/],
    ['date as D365 writes it', { type: 'date' }, '2011-01-31 00:00:00', { value: '2011-01-31' }],
    ['date ISO', { type: 'date' }, '2024-02-29', { value: '2024-02-29' }],
    ['date impossible', { type: 'date' }, '2023-02-29', /not a valid date/],
    ['GUID braces added, upper-cased', { type: 'guid' }, 'abcdef01-2345-6789-abcd-ef0123456789', { value: '{ABCDEF01-2345-6789-ABCD-EF0123456789}' }],
    ['GUID junk', { type: 'guid' }, 'nope', /not a GUID/],
    ['URL', { type: 'url' }, 'https://api.service.hmrc.gov.uk', { value: 'https://api.service.hmrc.gov.uk' }],
    ['URL relative', { type: 'url' }, '/oauth', /absolute URL/],
  ])('%s', (_n, spec, raw, expected) => {
    const result = normalizeValue(f(spec), raw);
    if (expected instanceof RegExp) {
      expect('error' in result && result.error).toMatch(expected);
    } else {
      expect(result).toEqual(expected);
    }
  });

  it('never quotes the value of a secret field in an error', () => {
    const result = normalizeValue(f({ type: 'url', secret: true }), 'super-secret-value');
    expect('error' in result && result.error).not.toContain('super-secret-value');
  });
});
