/**
 * Exact decimals for money: value = unscaled × 10^-scale, with the scale AS WRITTEN kept.
 * Why: HMRC's VAT API (Scala BigDecimal) rejects `1.000` for a 2-dp box but accepts `1.00`, and
 * sums must be exact. Floats are never used: no parseFloat, no Number arithmetic on amounts.
 * One class for the CLI (src/report, src/hmrc) and the HMRC emulator (src/sandbox).
 */
export interface ParseLimits {
  /** Largest |exponent| accepted; aligning scales costs 10^|scale|, so hostile input must be bounded. */
  maxExponent?: number;
}

export const DEFAULT_MAX_EXPONENT = 1000;

export class Decimal {
  constructor(
    readonly unscaled: bigint,
    /** Digits after the point as written (negative for `1E+2`). */
    readonly scale: number,
    /**
     * The JSON number text this value was read from, if any (`1.5e2`, `-0.00`): JSON writers put it back
     * unchanged so an echoed amount is byte-identical. Arithmetic results have none.
     */
    readonly text?: string,
  ) {}

  static readonly ZERO = new Decimal(0n, 0);

  /**
   * Parses a plain decimal or JSON number text: `-12`, `12.50`, `+3`, `1.5e2`. Throws SyntaxError otherwise.
   * The exponent is bounded so a hostile file cannot make us build huge BigInts.
   */
  static parse(text: string, limits: ParseLimits = {}): Decimal {
    const maxExponent = limits.maxExponent ?? DEFAULT_MAX_EXPONENT;
    const m = /^([+-]?)(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim()) ?? /^([+-]?)()\.(\d+)(?:[eE]([+-]?\d+))?$/.exec(text.trim());
    if (!m) throw new SyntaxError(`not a number: "${text}"`);
    const frac = m[3] ?? '';
    const exp = m[4] ? Number(m[4]) : 0;
    if (!Number.isSafeInteger(exp) || Math.abs(exp) > maxExponent) throw new SyntaxError(`exponent out of range: "${text}"`);
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

  /** Same value cut to `scale` digits, toward zero (12.99 → 12, -12.99 → -12 at scale 0). */
  truncate(scale: number): Decimal {
    if (scale >= this.scale) return this.rescale(scale);
    // BigInt division truncates toward zero, which is exactly the rule.
    return new Decimal(this.unscaled / 10n ** BigInt(this.scale - scale), scale);
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
