import type { FieldSpec } from './types.js';

const YES = new Set(['yes', 'true', '1']);
const NO = new Set(['no', 'false', '0', '']);
const GUID = /^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$/i;

/**
 * Turns a value as it came from a file into its canonical stored form, or returns an error message.
 * Canonical forms: NoYes → `Yes`/`No`; enum → its symbol; int → decimal digits; date → `YYYY-MM-DD`
 * (D365 writes `2011-01-31 00:00:00`); GUID → `{UPPER}`. Empty stays empty.
 */
export function normalizeValue(field: FieldSpec, raw: string): { value: string } | { error: string } {
  const result = normalizeAny(field, raw);
  // A secret's value must never reach a message: say what is wrong without quoting it.
  if ('error' in result && field.secret && raw !== '' && result.error.includes(raw)) {
    return { error: `has an invalid value (not shown: the field is secret)` };
  }
  return result;
}

function normalizeAny(field: FieldSpec, raw: string): { value: string } | { error: string } {
  const value = field.type === 'string' || field.secret ? raw : raw.trim();
  if (value === '') {
    if (field.required) return { error: `is required but empty` };
    return { value: field.type === 'noyes' ? 'No' : (field.default ?? '') };
  }
  // Lengths count characters (code points); UTF-16 units are never fewer, so most values skip the count.
  if (field.maxLength !== undefined && value.length > field.maxLength) {
    const characters = [...value].length;
    if (characters > field.maxLength) return { error: `is ${characters} characters long; at most ${field.maxLength} are allowed` };
  }
  switch (field.type) {
    case 'string':
      return { value };
    case 'url':
      return /^[a-z][a-z0-9+.-]*:/i.test(value) ? { value } : { error: `"${value}" is not an absolute URL` };
    case 'urlpath': {
      const problem = urlPathProblem(value);
      return problem ? { error: `"${value}" ${problem}` } : { value };
    }
    case 'noyes': {
      const lower = value.toLowerCase();
      if (YES.has(lower)) return { value: 'Yes' };
      if (NO.has(lower)) return { value: 'No' };
      return { error: `"${value}" is not Yes or No` };
    }
    case 'int': {
      if (!/^[+-]?\d+$/.test(value)) return { error: `"${value}" is not a whole number` };
      const n = Number(value);
      if ((field.min !== undefined && n < field.min) || (field.max !== undefined && n > field.max)) {
        return { error: `${value} is outside ${field.min ?? '-∞'}..${field.max ?? '∞'}` };
      }
      return { value: String(n) };
    }
    case 'enum': {
      const lower = value.toLowerCase();
      const symbol =
        field.values?.find((v) => v.toLowerCase() === lower) ??
        Object.entries(field.aliases ?? {}).find(([alias]) => alias.toLowerCase() === lower)?.[1];
      return symbol ? { value: symbol } : { error: `"${value}" is not one of ${field.values?.join(', ')}` };
    }
    case 'date': {
      const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ]00:00:00(?:\.0+)?Z?)?$/.exec(value);
      if (!m) return { error: `"${value}" is not a date (YYYY-MM-DD)` };
      const d = new Date(`${m[1]}-${m[2]}-${m[3]}T00:00:00Z`);
      if (Number.isNaN(d.getTime()) || d.getUTCDate() !== Number(m[3])) return { error: `"${value}" is not a valid date` };
      return { value: `${m[1]}-${m[2]}-${m[3]}` };
    }
    case 'guid':
      return GUID.test(value) ? { value: `{${value.replace(/[{}]/g, '').toUpperCase()}}` } : { error: `"${value}" is not a GUID` };
  }
}

/**
 * Why a value is not a plain path on the application's own origin, or undefined when it is one.
 * `//host/x` is a scheme-relative URL and `http://…` an absolute one: both would take the request
 * (with the client secret) to another host. Backslashes count as slashes in browsers' and Node's
 * URL parser, so they are refused too.
 */
export function urlPathProblem(value: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(value)) return 'is an absolute URL; only a path such as /oauth/token is allowed';
  if (!value.startsWith('/')) return 'must start with "/" (a path such as /oauth/token)';
  if (/^[/\\][/\\]/.test(value)) return 'starts with "//", which names another host; only a path such as /oauth/token is allowed';
  if (/[\\\s#]|[\u0000-\u001f\u007f]/.test(value)) return 'contains a backslash, a space, a control character or "#"; only a path such as /oauth/token is allowed';
  return undefined;
}
