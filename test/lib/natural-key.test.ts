import { describe, expect, it } from 'vitest';
import { KeyMap, foldKey, foldKeyValue } from '../../src/lib/natural-key.js';

describe('natural keys compare as SQL Server compares them (CI, trailing spaces ignored), after NFC', () => {
  it('folds case, trailing spaces and normal form; keeps accents, leading and inner spaces', () => {
    expect(foldKeyValue('Sandbox HMRC')).toBe(foldKeyValue('sandbox hmrc '));
    expect(foldKeyValue('Caf\u00e9')).toBe(foldKeyValue('Cafe\u0301'));
    expect(foldKeyValue('Cafe')).not.toBe(foldKeyValue('Café'));
    expect(foldKeyValue(' x')).not.toBe(foldKeyValue('x'));
    expect(foldKeyValue('a  b')).not.toBe(foldKeyValue('a b'));
    expect(foldKey(['UK MTD VAT', 'Submit '])).toBe(foldKey(['uk mtd vat', 'SUBMIT']));
    expect(foldKey(['a', 'b'])).not.toBe(foldKey(['a b']));
  });
  it('KeyMap finds a key as D365 would and iterates the spelling first set', () => {
    const m = KeyMap.of<number>([['Sandbox HMRC', 1]]);
    expect(m.get('SANDBOX hmrc  ')).toBe(1);
    expect(m.has('sandbox hmrc')).toBe(true);
    m.set('sandbox HMRC', 2);
    expect([...m.entries()]).toEqual([['Sandbox HMRC', 2]]);
  });
});
