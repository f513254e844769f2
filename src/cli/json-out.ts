/** The held --json document (see printJson); kept apart from output.ts's tables and colours. */
import { escapeControlsKeepLines, jsonSafe } from '../lib/terminal-text.js';

/**
 * Under `--json` stdout holds exactly one JSON document on every path. So a command's document is
 * held here until the command ends, and main.ts writes either it or, when the command failed after
 * all, the error envelope (never both). Without `--json` it is written at once.
 */
let held: { value: unknown } | undefined;
let holding = false;

export function holdJson(on: boolean): void {
  holding = on;
  held = undefined;
}

/** The document a command printed (and main.ts has not written yet), if any. */
export function heldJson(): { value: unknown } | undefined {
  return held;
}

/** One JSON document; C1 controls and bidi characters as `\u` escapes (JSON.stringify leaves them raw). */
export function writeJson(value: unknown): void {
  process.stdout.write(jsonSafe(JSON.stringify(value, null, 2)) + '\n');
}

export function printJson(value: unknown): void {
  if (!holding) return writeJson(value);
  if (held) throw new Error('a command printed two JSON documents'); // a bug: main.ts reports it as an internal error
  held = { value };
}

/** One prefix for everything mtdvat itself says on stderr. */
export const STDERR_PREFIX = 'mtdvat:';

/** A warning on stderr: `mtdvat: warning: …`. */
export function warn(line: string): void {
  process.stderr.write(`${STDERR_PREFIX} warning: ${escapeControlsKeepLines(line)}\n`);
}

