import { describe, expect, it } from 'vitest';
import { Decimal } from '../../src/lib/decimal.js';
import { isJsonObject, parseJsonExact, stringifyExact } from '../../src/lib/exact-json.js';
import { EMULATOR_JSON_LIMITS } from '../../src/emulator/vat.js';

const nested = (n: number, inner = '1') => '['.repeat(n) + inner + ']'.repeat(n);

describe('parseJsonExact', () => {
  it('keeps the written scale: 1.000 and 1.00 differ', () => {
    const v = parseJsonExact('{"a":1.000,"b":1.00}') as Record<string, Decimal>;
    expect(v.a.scale).toBe(3);
    expect(v.b.scale).toBe(2);
    expect(v.a.equals(v.b)).toBe(true);
  });

  it('builds null-prototype objects: __proto__ and constructor are data', () => {
    const v = parseJsonExact('{"__proto__":{"polluted":1},"constructor":"x","a":{"__proto__":2}}');
    expect(isJsonObject(v)).toBe(true);
    const o = v as Record<string, unknown>;
    expect(Object.getPrototypeOf(o)).toBeNull();
    expect(Object.keys(o)).toEqual(['__proto__', 'constructor', 'a']);
    expect(Object.getPrototypeOf(o.__proto__)).toBeNull();
    expect((o.__proto__ as Record<string, Decimal>).polluted.toString()).toBe('1');
    expect(Object.getPrototypeOf(o.a)).toBeNull();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(stringifyExact(v)).toBe('{"__proto__":{"polluted":1},"constructor":"x","a":{"__proto__":2}}');
  });

  it('a duplicate key keeps the last value (like JSON.parse), in the first position', () => {
    const v = parseJsonExact('{"a":1,"b":2,"a":3.0}');
    expect(stringifyExact(v)).toBe('{"a":3.0,"b":2}');
  });

  it.each(['', '{', '[1,]', '01', '1.', '.5', '+1', '-', '{"a":1}x', '{"a" 1}', "{'a':1}", '"\u0001"', 'tru', 'NaN', '{"a":1,}', '"\\x"', '1e99999', '1e999999999'])(
    'rejects %j with SyntaxError',
    (text) => {
      expect(() => parseJsonExact(text)).toThrow(SyntaxError);
      expect(() => parseJsonExact(text, EMULATOR_JSON_LIMITS)).toThrow(SyntaxError);
    },
  );

  it('bounds the exponent (1000 by default, 10 000 in the emulator) and number length', () => {
    expect(() => parseJsonExact('1e1001')).toThrow(SyntaxError);
    expect((parseJsonExact('1e1000') as Decimal).scale).toBe(-1000);
    expect((parseJsonExact('0e5000', EMULATOR_JSON_LIMITS) as Decimal).scale).toBe(-5000);
    expect(() => parseJsonExact('1e10001', EMULATOR_JSON_LIMITS)).toThrow(SyntaxError);
    expect(() => parseJsonExact('1'.repeat(401))).toThrow(SyntaxError);
    expect((parseJsonExact('1'.repeat(400)) as Decimal).unscaled).toBe(BigInt('1'.repeat(400)));
  });

  it('bounds nesting (100 by default, 200 in the emulator); absurd depth is a SyntaxError too', () => {
    expect(parseJsonExact(nested(100))).toBeTruthy();
    expect(() => parseJsonExact(nested(101))).toThrow(SyntaxError);
    expect(parseJsonExact(nested(200), EMULATOR_JSON_LIMITS)).toBeTruthy();
    expect(() => parseJsonExact(nested(201), EMULATOR_JSON_LIMITS)).toThrow(SyntaxError);
    expect(() => parseJsonExact(nested(200_000))).toThrow(SyntaxError);
  });

  it('skips a UTF-8 BOM in files; the emulator refuses one', () => {
    expect(stringifyExact(parseJsonExact('\ufeff{"a":1.0}'))).toBe('{"a":1.0}');
    expect(() => parseJsonExact('\ufeff{"a":1.0}', EMULATOR_JSON_LIMITS)).toThrow(SyntaxError);
  });
});

describe('stringifyExact', () => {
  it('writes numbers exactly as read, computed values at their scale', () => {
    const v = parseJsonExact('{"a":[1.00,true,null,"x\\n\\u00e9"],"b":{"c":-0.50,"d":1.5e2,"e":-0,"f":1E+2}}');
    expect(stringifyExact(v)).toBe('{"a":[1.00,true,null,"x\\né"],"b":{"c":-0.50,"d":1.5e2,"e":-0,"f":1E+2}}');
    expect(stringifyExact({ sum: Decimal.parse('1.5e2').add(Decimal.parse('0.10')), n: 3, s: 'q', u: undefined, arr: [undefined] })).toBe(
      '{"sum":150.10,"n":3,"s":"q","arr":[null]}',
    );
    expect(stringifyExact(Decimal.parse('1.5e2').rescale(2))).toBe('150.00');
  });
});
