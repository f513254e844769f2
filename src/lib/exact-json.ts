/**
 * JSON with exact numbers: every number becomes a Decimal with its written scale (JSON.parse would turn
 * `1.000` and `1.00` into the same double). Tokenising is lossless-json's; this module adds what the
 * CLI and the emulator rely on: null-prototype objects, last-duplicate-key-wins, bounded number length,
 * exponent and nesting depth, and a writer that puts numbers back exactly as they were read.
 */
import { parse, stringify } from 'lossless-json';
import { Decimal, DEFAULT_MAX_EXPONENT } from './decimal.js';

export type JsonValue = null | boolean | string | Decimal | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export interface ExactJsonOptions {
  /** Deepest nesting of objects/arrays accepted (default 100). */
  maxDepth?: number;
  /** Largest |exponent| of a number (default DEFAULT_MAX_EXPONENT). */
  maxExponent?: number;
  /** Skip a leading UTF-8 BOM (Windows editors add one to files; default true). */
  allowBom?: boolean;
}

/** Longer number texts are refused: BigInt of a huge digit string is slow, and no amount needs it. */
const MAX_NUMBER_LENGTH = 400;

/** Parses JSON text; throws SyntaxError on anything RFC 8259 does not allow or the limits refuse. */
export function parseJsonExact(text: string, options: ExactJsonOptions = {}): JsonValue {
  const maxDepth = options.maxDepth ?? 100;
  const limits = { maxExponent: options.maxExponent ?? DEFAULT_MAX_EXPONENT };
  const body = (options.allowBom ?? true) && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let parsed: unknown;
  try {
    parsed = parse(body, null, {
      parseNumber: (s) => {
        if (s.length > MAX_NUMBER_LENGTH) throw new SyntaxError(`number too long (${s.length} characters)`);
        const d = Decimal.parse(s, limits);
        return new Decimal(d.unscaled, d.scale, s);
      },
      // RFC 8259 leaves duplicates open; keep the last one like JSON.parse (lossless-json throws by default).
      onDuplicateKey: ({ newValue }) => newValue,
    });
  } catch (error) {
    // lossless-json recurses per nesting level: absurd depth overflows the stack before our depth check.
    if (error instanceof RangeError) throw new SyntaxError('nesting too deep');
    throw error;
  }
  return toNullPrototype(parsed, 0, maxDepth);
}

/**
 * lossless-json builds ordinary objects (it stores a `__proto__` key as an own property, but the objects
 * still inherit from Object.prototype); copy them into null-prototype objects so every key, `__proto__`
 * and `constructor` included, is plain data.
 */
function toNullPrototype(v: unknown, depth: number, maxDepth: number): JsonValue {
  // Same rule as before the library: no value may sit deeper than maxDepth (the top value is depth 0).
  if (depth > maxDepth) throw new SyntaxError('nesting too deep');
  if (v === null || typeof v !== 'object' || v instanceof Decimal) return v as JsonValue;
  if (Array.isArray(v)) return v.map((item) => toNullPrototype(item, depth + 1, maxDepth));
  const out = Object.create(null) as JsonObject;
  for (const key of Object.keys(v)) out[key] = toNullPrototype((v as Record<string, unknown>)[key], depth + 1, maxDepth);
  return out;
}

export function isJsonObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Decimal);
}

const DECIMAL_WRITER = [{ test: (v: unknown) => v instanceof Decimal, stringify: (v: unknown) => (v as Decimal).text ?? (v as Decimal).toString() }];

/**
 * JSON text with Decimals written exactly: as read (`1.00` stays `1.00`, `1e2` stays `1e2`), or at their
 * scale for computed values.
 */
export function stringifyExact(value: unknown): string {
  return stringify(value, undefined, undefined, DECIMAL_WRITER) ?? 'null';
}
