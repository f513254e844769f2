/**
 * Text from packages, servers and the store is data: before it reaches a terminal (or a page), the
 * characters that steer a terminal or reorder text are shown as escapes instead of acting.
 * - C0 controls (U+0000–U+001F), DEL and C1 controls (U+0080–U+009F): ESC starts colour, cursor
 *   moves and OSC 8 hyperlinks, `\r` overwrites a line, C1 CSI (U+009B) acts like ESC [ on many
 *   terminals (ECMA-48, https://ecma-international.org/publications-and-standards/standards/ecma-48/).
 * - Bidirectional formatting characters (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069) and the
 *   line/paragraph separators U+2028/U+2029: "Trojan Source" reordering (CVE-2021-42574,
 *   https://trojansource.codes/) and fake line breaks.
 * Everything else — £, é, emoji, CJK — is left as it is. Backslashes are not escaped, so escaping
 * twice changes nothing.
 */

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_KEEP_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One value (a name, a cell, a message part): every control and bidi character escaped, `\n` too. */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** A block of output lines: like escapeControls, but the line breaks we put there stay line breaks. */
export function escapeControlsKeepLines(text: string): string {
  return text.replace(UNSAFE_KEEP_NEWLINE, escapeChar);
}

/** Whether `text` holds anything escapeControls would change. */
export function hasControls(text: string): boolean {
  UNSAFE.lastIndex = 0;
  const found = UNSAFE.test(text);
  UNSAFE.lastIndex = 0;
  return found;
}

// JSON.stringify escapes C0 controls but writes C1, bidi and U+2028/9 as raw characters.
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * JSON text with every remaining control/bidi character written as a `\u` escape. These characters
 * can only occur inside string literals of JSON.stringify's output, so the document stays the same
 * value for any parser.
 */
export function jsonSafe(json: string): string {
  return json.replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
