import pc from 'picocolors';
import Table from 'cli-table3';
import { randomBytes } from 'node:crypto';
import { escapeControls, escapeControlsKeepLines, jsonSafe } from '../lib/terminal-text.js';

/** Colour only for a terminal, never when piped or when NO_COLOR is set. */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR) return true;
  return !!stream.isTTY;
}

/**
 * Every printer escapes control and bidi characters (lib/terminal-text.ts) in what it writes, so a
 * name from a package cannot move the cursor, rewrite a line or open a hyperlink. Our own colours
 * must survive that: they are written with this stand-in for ESC, which only the printers turn
 * back into ESC after escaping. It is random per process and never printed, so data cannot forge it.
 */
const ESC_MARK = `\u{F8FF}${randomBytes(8).toString('hex')}\u{F8FF}`;

function ownColour(styled: string): string {
  return styled.replaceAll('\x1b', ESC_MARK);
}

/** The text as it may reach the terminal: data escaped, our colours restored. */
export function terminalSafe(text: string): string {
  return escapeControlsKeepLines(text).replaceAll(ESC_MARK, '\x1b');
}

type Paint = (text: string) => string;
export interface Colors {
  bold: Paint;
  dim: Paint;
  red: Paint;
  green: Paint;
  yellow: Paint;
  cyan: Paint;
}

export function colors(stream: NodeJS.WriteStream = process.stdout): Colors {
  const p = pc.createColors(useColor(stream));
  const wrap = (f: Paint): Paint => (text) => ownColour(f(escapeControlsKeepLines(text)));
  return { bold: wrap(p.bold), dim: wrap(p.dim), red: wrap(p.red), green: wrap(p.green), yellow: wrap(p.yellow), cyan: wrap(p.cyan) };
}

/** One JSON document; C1 controls and bidi characters as `\u` escapes (JSON.stringify leaves them raw). */
export function jsonText(value: unknown, indent = 2): string {
  return jsonSafe(JSON.stringify(value, null, indent));
}

export function printJson(value: unknown): void {
  process.stdout.write(jsonText(value) + '\n');
}

export function print(line = ''): void {
  process.stdout.write(terminalSafe(line) + '\n');
}

/** Diagnostics and progress go to stderr so stdout stays clean for data and --json. */
export function info(line: string): void {
  process.stderr.write(terminalSafe(line) + '\n');
}

export function table(head: string[], rows: (string | number)[][], options: { align?: ('left' | 'right')[] } = {}): string {
  const color = useColor();
  // cli-table3 ignores NO_COLOR and would colour a pipe: pass an empty style when colour is off.
  const t = new Table({
    head: head.map(escapeControls),
    style: color ? { head: ['cyan'], border: ['grey'] } : { head: [], border: [] },
    ...(options.align ? { colAligns: options.align } : {}),
    chars: color ? undefined : { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  // Cells are escaped before the table measures them: a newline or ESC in a name would otherwise
  // break the layout or act on the terminal. Whatever ESC the table then holds is its own colour.
  for (const row of rows) t.push(row.map((cell) => escapeControls(String(cell))));
  return ownColour(t.toString());
}
