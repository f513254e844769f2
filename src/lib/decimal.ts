/**
 * Exact decimals for money: value = unscaled × 10^-scale, with the scale AS WRITTEN kept.
 * Why: HMRC's VAT API (Scala BigDecimal) rejects `1.000` for a 2-dp box but accepts `1.00`, and
 * sums must be exact. Floats are never used: no parseFloat, no Number arithmetic on amounts.
 */
export class Decimal {
  constructor(
    readonly unscaled: bigint,
    /** Digits after the point as written (negative for `1E+2`). */
    readonly scale: number,
  ) {}

  static readonly ZERO = new Decimal(0n, 0);

  /**
   * Parses a plain decimal or JSON number text: `-12`, `12.50`, `+3`, `1.5e2`. Throws SyntaxError otherwise.
   * The exponent is bounded so a hostile file cannot make us build huge BigInts.
   */
  static parse(text: string): Decimal {
    const m = /^([+-]?)(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim()) ?? /^([+-]?)()\.(\d+)(?:[eE]([+-]?\d+))?$/.exec(text.trim());
    if (!m) throw new SyntaxError(`not a number: "${text}"`);
    const frac = m[3] ?? '';
    const exp = m[4] ? Number(m[4]) : 0;
    if (!Number.isSafeInteger(exp) || Math.abs(exp) > 1000) throw new SyntaxError(`exponent out of range: "${text}"`);
    const digits = (m[2] || '0') + frac;
    const unscaled = BigInt(digits) * (m[1] === '-' ? -1n : 1n);
    return new Decimal(unscaled, frac.length - exp);
  }

  /**
   * A spreadsheet number (an IEEE double) as the decimal a user sees in Excel: Excel keeps 15 significant
   * digits, so `0.1+0.2` (0.30000000000000004) reads as 0.3. The scale of a numeric cell is whatever the
   * shortest form needs (a cell showing "1.00" holds the number 1).
   */
  static fromSpreadsheetNumber(n: number): Decimal {
    if (!Number.isFinite(n)) throw new SyntaxError(`not a finite number: ${n}`);
    // toPrecision(15) then Number() drops float noise beyond Excel's precision; String() gives the
    // shortest round-trip text (possibly with an exponent, which parse() handles).
    return Decimal.parse(String(Number(n.toPrecision(15))));
  }

  /** Digits after the decimal point as written (BigDecimal.scale). */
  get decimalPlaces(): number {
    return this.scale;
  }

  get isWhole(): boolean {
    return this.scale <= 0 || this.unscaled % 10n ** BigInt(this.scale) === 0n;
  }

  get isNegative(): boolean {
    return this.unscaled < 0n;
  }

  /** Same value at `scale` digits; throws if that would lose digits. */
  rescale(scale: number): Decimal {
    if (scale >= this.scale) return new Decimal(this.unscaled * 10n ** BigInt(scale - this.scale), scale);
    const f = 10n ** BigInt(this.scale - scale);
    if (this.unscaled % f !== 0n) throw new RangeError(`${this.toString()} has more than ${scale} decimal places`);
    return new Decimal(this.unscaled / f, scale);
  }

  /** Value in pence (exact; throws if there are non-zero digits beyond 2 dp). */
  toPence(): bigint {
    return this.rescale(2).unscaled;
  }

  static fromPence(pence: bigint): Decimal {
    return new Decimal(pence, 2);
  }

  private static align(a: Decimal, b: Decimal): [bigint, bigint, number] {
    const scale = Math.max(a.scale, b.scale);
    return [a.unscaled * 10n ** BigInt(scale - a.scale), b.unscaled * 10n ** BigInt(scale - b.scale), scale];
  }

  compare(other: Decimal): number {
    const [a, b] = Decimal.align(this, other);
    return a < b ? -1 : a > b ? 1 : 0;
  }

  equals(other: Decimal): boolean {
    return this.compare(other) === 0;
  }

  add(other: Decimal): Decimal {
    const [a, b, s] = Decimal.align(this, other);
    return new Decimal(a + b, s);
  }

  subtract(other: Decimal): Decimal {
    const [a, b, s] = Decimal.align(this, other);
    return new Decimal(a - b, s);
  }

  abs(): Decimal {
    return this.unscaled < 0n ? new Decimal(-this.unscaled, this.scale) : this;
  }

  /** Text with exactly the written scale: `1.00` stays `1.00`. */
  toString(): string {
    const neg = this.unscaled < 0n;
    let digits = (neg ? -this.unscaled : this.unscaled).toString();
    let out: string;
    if (this.scale <= 0) out = this.unscaled === 0n ? '0' : digits + '0'.repeat(-this.scale);
    else {
      digits = digits.padStart(this.scale + 1, '0');
      out = `${digits.slice(0, -this.scale)}.${digits.slice(-this.scale)}`;
    }
    return (neg ? '-' : '') + out;
  }

  /** Fixed 2 dp (value must have ≤ 2 significant decimals). */
  toFixed2(): string {
    return this.rescale(2).toString();
  }

  /** "1,234.50" for people. */
  format(dp = 2): string {
    const s = this.rescale(Math.max(dp, 0)).toString();
    const neg = s.startsWith('-');
    const [int, frac] = (neg ? s.slice(1) : s).split('.');
    const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    return (neg ? '-' : '') + grouped + (frac !== undefined ? `.${frac}` : '');
  }

  /** For Excel cells only (display); never used for arithmetic or validation. */
  toNumber(): number {
    return Number(this.toString());
  }
}

// ---------- JSON with exact numbers ----------

export type JsonValue = null | boolean | string | Decimal | JsonValue[] | { [key: string]: JsonValue };

/**
 * Parses JSON text keeping every number as a Decimal with its written scale (JSON.parse would turn
 * `1.000` and `1.00` into the same double). Objects have a null prototype so `__proto__` stays data.
 */
export function parseJsonExact(text: string): JsonValue {
  let i = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at position ${i}`);
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const str = (): string => {
    i++;
    let out = '';
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const ch = text[i];
      if (ch === '"') {
        i++;
        return out;
      }
      if (ch < ' ') fail('control character in string');
      if (ch !== '\\') {
        out += ch;
        i++;
        continue;
      }
      const e = text[i + 1];
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (e === 'u') {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad unicode escape');
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
      } else if (e !== undefined && e in simple) {
        out += simple[e];
        i += 2;
      } else fail('bad escape');
    }
  };
  const value = (depth: number): JsonValue => {
    if (depth > 100) fail('nesting too deep');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj = Object.create(null) as { [key: string]: JsonValue };
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a "quoted" key');
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
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) return fail('unexpected token');
    i += m[0].length;
    return Decimal.parse(m[0]);
  };
  // Tolerate a UTF-8 BOM (Windows editors add one).
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  const result = value(0);
  ws();
  if (i !== text.length) fail('trailing data');
  return result;
}

/** JSON text writer that writes Decimals as their exact text. */
export function stringifyExact(value: unknown): string {
  if (value instanceof Decimal) return value.toString();
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => stringifyExact(v ?? null)).join(',')}]`;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined || typeof v === 'function') continue;
    parts.push(`${JSON.stringify(k)}:${stringifyExact(v)}`);
  }
  return `{${parts.join(',')}}`;
}
