/** Values that are obviously not real credentials (package placeholders, docs examples). */
export const PLACEHOLDER_PATTERNS: RegExp[] = [/^DEMO-.*replace-me$/i, /^FAKE-/i, /^changeme$/i, /^placeholder$/i, /^x+$/i, /^<.*>$/];

/** A stored value that only stands in for a real one (a demo client ID, "changeme"): counts as absent. */
export function isPlaceholder(value: string): boolean {
  return PLACEHOLDER_PATTERNS.some((p) => p.test(value.trim()));
}
