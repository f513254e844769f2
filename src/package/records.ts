/** One data row as read from an entity file: column name (as in the file) → text value. */
export interface RawRecord {
  /** 1-based record number in the file (header rows not counted). */
  no: number;
  /** The sheet's own row number (Excel's row label), when the reader knows it. */
  row?: number;
  values: Record<string, string>;
}

/**
 * The prototype of every values object: empty, frozen, with no Object.prototype behind it. A column
 * named `__proto__` or `constructor` is then just a column. (Object.create(null) would do the same,
 * but V8 keeps such objects in slow dictionary mode; these stay fast.)
 */
const NO_PROTOTYPE = Object.freeze(Object.create(null) as object);

/** An empty values object, safe for any column name (see NO_PROTOTYPE). */
export function emptyValues(): Record<string, string> {
  return Object.create(NO_PROTOTYPE) as Record<string, string>;
}
