/**
 * A small JSON parser that keeps numbers as exact decimals with their written scale.
 * Why: HMRC's VAT API (Scala BigDecimal) rejects `1.000` for a 2-dp box while accepting `1.00`;
 * `JSON.parse` turns both into the same double, so the check must run over the raw text.
 */

export class JsonDecimal {
  constructor(
    /** The number exactly as written in the JSON text. */
    readonly raw: string,
    /** value = unscaled × 10^-scale. */
    readonly unscaled: bigint,
    readonly scale: number,
  ) {}

  static parse(raw: string): JsonDecimal {
    const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(raw);
    if (!m) throw new SyntaxError(`not a number: ${raw}`);
    const frac = m[3] ?? '';
    const exp = m[4] ? Number(m[4]) : 0;
    // Bound the exponent: aligning scales costs 10^|scale| and a hostile body must not stall the emulator.
    if (!Number.isSafeInteger(exp) || Math.abs(exp) > 10_000) throw new SyntaxError('number exponent out of range');
    return new JsonDecimal(raw, BigInt(m[1] + m[2] + frac), frac.length - exp);
  }

  /** Digits after the decimal point as written (BigDecimal.scale); negative for e.g. `1E+2`. */
  get decimalPlaces(): number {
    return this.scale;
  }

  get isWhole(): boolean {
    if (this.scale <= 0) return true;
    return this.unscaled % 10n ** BigInt(this.scale) === 0n;
  }

  toNumber(): number {
    return Number(this.raw);
  }

  private aligned(other: JsonDecimal): [bigint, bigint, number] {
    const scale = Math.max(this.scale, other.scale);
    const a = this.unscaled * 10n ** BigInt(scale - this.scale);
    const b = other.unscaled * 10n ** BigInt(scale - other.scale);
    return [a, b, scale];
  }

  compare(other: JsonDecimal): number {
    const [a, b] = this.aligned(other);
    return a < b ? -1 : a > b ? 1 : 0;
  }

  add(other: JsonDecimal): JsonDecimal {
    const [a, b, scale] = this.aligned(other);
    return JsonDecimal.fromUnscaled(a + b, scale);
  }

  subtract(other: JsonDecimal): JsonDecimal {
    const [a, b, scale] = this.aligned(other);
    return JsonDecimal.fromUnscaled(a - b, scale);
  }

  abs(): JsonDecimal {
    return this.unscaled < 0n ? JsonDecimal.fromUnscaled(-this.unscaled, this.scale) : this;
  }

  static fromUnscaled(unscaled: bigint, scale: number): JsonDecimal {
    const neg = unscaled < 0n;
    let digits = (neg ? -unscaled : unscaled).toString();
    let raw: string;
    if (scale <= 0) raw = digits + '0'.repeat(-scale);
    else {
      digits = digits.padStart(scale + 1, '0');
      raw = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
    }
    return new JsonDecimal((neg ? '-' : '') + raw, unscaled, scale);
  }
}

export type JsonValue = null | boolean | string | JsonDecimal | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** Parses JSON text; throws SyntaxError on anything RFC 8259 does not allow. */
export function parseJsonDecimal(text: string): JsonValue {
  let i = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at position ${i}`);
  };
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const value = (depth: number): JsonValue => {
    if (depth > 200) fail('nesting too deep');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      // Null prototype: keys such as "__proto__" stay plain data.
      const obj = Object.create(null) as JsonObject;
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected string key');
        const key = str();
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        obj[key] = value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const arr: JsonValue[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return str();
    if (text.startsWith('true', i)) {
      i += 4;
      return true;
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return false;
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return null;
    }
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) return fail('unexpected token');
    i += m[0].length;
    return JsonDecimal.parse(m[0]);
  };
  const str = (): string => {
    i++; // opening quote
    let out = '';
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const ch = text[i];
      if (ch === '"') {
        i++;
        return out;
      }
      if (ch < ' ') fail('control character in string');
      if (ch === '\\') {
        const e = text[i + 1];
        const map: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e === 'u') {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad unicode escape');
          out += String.fromCharCode(parseInt(hex, 16));
          i += 6;
        } else if (e !== undefined && e in map) {
          out += map[e];
          i += 2;
        } else fail('bad escape');
      } else {
        out += ch;
        i++;
      }
    }
  };
  const result = value(0);
  ws();
  if (i !== text.length) fail('trailing data');
  return result;
}

export function isJsonObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonDecimal);
}

/** JSON.stringify that writes JsonDecimal values as their raw text (so `1.00` round-trips as `1.00`). */
export function stringifyJson(value: unknown): string {
  if (value instanceof JsonDecimal) return value.raw;
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : stringifyJson(v))).join(',')}]`;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined || typeof v === 'function') continue;
    parts.push(`${JSON.stringify(k)}:${stringifyJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}
