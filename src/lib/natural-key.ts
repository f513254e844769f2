/**
 * When two natural keys name the same record. D365 keeps its setup in SQL Server, whose default
 * collation (SQL_Latin1_General_CP1_CI_AS) compares text case-insensitively, and which ignores
 * trailing spaces when comparing (ANSI padding:
 * https://learn.microsoft.com/en-us/sql/t-sql/statements/set-ansi-padding-transact-sql and
 * https://support.microsoft.com/kb/316626). So "Sandbox HMRC" and "sandbox hmrc " are one web
 * application there, and must be one here. Text is compared after Unicode NFC, so "Café" typed as
 * one character or as e + combining accent is one key too (https://unicode.org/reports/tr15/).
 * Accents still count ("Cafe" ≠ "Café"), as in an accent-sensitive (AS) collation.
 */

/** The form of one key value that is compared: NFC, trailing spaces dropped, lower case. */
export function foldKeyValue(value: string): string {
  return value.normalize('NFC').replace(/ +$/, '').toLowerCase();
}

/** A whole natural key (its values in key order) as the text two equal keys share. */
export function foldKey(values: readonly string[]): string {
  return JSON.stringify(values.map(foldKeyValue));
}

/** A display key (`A / B`, as store/records.ts displayKey writes it) folded part by part. */
export function foldDisplayKey(display: string): string {
  return display.split(' / ').map(foldKeyValue).join(' / ');
}

/**
 * A Map from display keys whose get/has find a key as D365 would (case, trailing spaces and Unicode
 * form aside); iteration gives the keys as they were set.
 */
export class KeyMap<V> extends Map<string, V> {
  private readonly spelled = new Map<string, string>();

  static of<V>(entries: Iterable<readonly [string, V]>): KeyMap<V> {
    const map = new KeyMap<V>();
    for (const [k, v] of entries) map.set(k, v);
    return map;
  }

  override set(key: string, value: V): this {
    const folded = foldDisplayKey(key);
    const existing = this.spelled?.get(folded);
    if (existing === undefined) this.spelled?.set(folded, key);
    return super.set(existing ?? key, value);
  }

  override get(key: string): V | undefined {
    return super.get(this.spelled.get(foldDisplayKey(key)) ?? key);
  }

  override has(key: string): boolean {
    return super.has(this.spelled.get(foldDisplayKey(key)) ?? key);
  }

  override delete(key: string): boolean {
    const folded = foldDisplayKey(key);
    const spelled = this.spelled.get(folded) ?? key;
    this.spelled.delete(folded);
    return super.delete(spelled);
  }

  override clear(): void {
    this.spelled.clear();
    super.clear();
  }
}
