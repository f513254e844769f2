/** Calendar-date helpers on UTC `YYYY-MM-DD` strings (the VAT API's date format). */

const DAY_MS = 86_400_000;

/** Parses a strict ISO calendar date to UTC midnight ms, or undefined (2019-02-30 is invalid). */
export function parseIsoDate(s: string | null | undefined): number | undefined {
  if (!s || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return undefined;
  const [y, m, d] = s.split('-').map(Number);
  const ms = Date.UTC(y, m - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== m - 1 || back.getUTCDate() !== d) return undefined;
  return ms;
}

export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function utcMidnight(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

export function addDays(ms: number, days: number): number {
  return ms + days * DAY_MS;
}

/** Adds calendar months, clamping the day (Jan 31 + 1 month = Feb 28/29), like java.time plusMonths. */
export function addMonths(ms: number, months: number): number {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return Date.UTC(y, m, Math.min(d.getUTCDate(), lastDay));
}

export function addYears(ms: number, years: number): number {
  return addMonths(ms, years * 12);
}

/** `yyyy-MM-dd'T'HH:mm:ss'Z'` (Receipt-Timestamp). */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` (processingDate). */
export function isoMillis(ms: number): string {
  return new Date(ms).toISOString();
}
