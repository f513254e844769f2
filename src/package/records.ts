/** One data row as read from an entity file: column name (as in the file) → text value. */
export interface RawRecord {
  /** 1-based record number in the file (header rows not counted). */
  no: number;
  values: Record<string, string>;
}

/** A record whose values object has no prototype, so a column named `__proto__` is just a column. */
export function emptyValues(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}
