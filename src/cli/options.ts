import type { Options } from 'yargs';
import { UsageError } from '../errors.js';
import { isIsoDate, ukToday } from '../lib/dates.js';

/**
 * Numeric and date flags are checked while the command line is parsed, before a store is opened or
 * anything is sent: a bad value is a usage error (exit 2) that names the flag and repeats the value.
 * yargs calls `coerce` for given values (and for defaults); a thrown UsageError reaches main.ts.
 */

/** The one value of a flag; a flag given twice is a usage error rather than a silent pick. */
function single(flag: string, value: unknown): unknown {
  if (Array.isArray(value)) throw new UsageError(`--${flag} was given ${value.length} times; give it once`);
  return value;
}

export function intOption(
  flag: string,
  describe: string,
  range: { min: number; max: number; default?: number },
): Options {
  return {
    type: 'string',
    describe,
    ...(range.default !== undefined ? { default: range.default } : {}),
    coerce: (raw: unknown) => {
      const value = single(flag, raw);
      if (value === undefined) return undefined;
      const text = String(value).trim();
      const n = /^[+-]?\d+$/.test(text) ? Number(text) : NaN;
      if (!Number.isSafeInteger(n) || n < range.min || n > range.max) {
        throw new UsageError(`--${flag} must be a whole number from ${range.min} to ${range.max}, got "${String(value)}"`);
      }
      return n;
    },
  };
}

export function dateOption(flag: string, describe: string, opts: { demandOption?: boolean; notAfterToday?: boolean } = {}): Options {
  return {
    type: 'string',
    describe,
    ...(opts.demandOption ? { demandOption: true } : {}),
    coerce: (raw: unknown) => {
      const value = single(flag, raw);
      if (value === undefined) return undefined;
      const text = String(value);
      if (!isIsoDate(text)) throw new UsageError(`--${flag} must be a date YYYY-MM-DD, got "${text}"`);
      if (opts.notAfterToday) {
        const today = ukToday();
        // HMRC answers a later date with a bare DATE_TO_INVALID; say why before anything is sent.
        if (text > today) throw new UsageError(`--${flag} ${text} is after today (${today}, UK time): HMRC only answers for dates up to today`);
      }
      return text;
    },
  };
}
