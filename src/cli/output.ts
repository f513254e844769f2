import pc from 'picocolors';
import Table from 'cli-table3';
import tableUtils from 'cli-table3/src/utils.js';
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

export { printJson, warn, STDERR_PREFIX } from './json-out.js';

export function print(line = ''): void {
  process.stdout.write(terminalSafe(line) + '\n');
}

/** Diagnostics and progress go to stderr so stdout stays clean for data and --json. */
export function info(line: string): void {
  process.stderr.write(terminalSafe(line) + '\n');
}

/** How far continuation lines of a wrapped line are indented: columns beyond the line's own indent, or a rule per line. */
export type Hang = number | ((line: string) => number);

/**
 * print() for running text: wrapped to the terminal, continuation lines indented by `hang`; whole
 * when piped. Measured after escaping, with our colours as real (zero-width) colour codes.
 */
export function printFitted(text: string, hang?: Hang): void {
  process.stdout.write(fitLines(terminalSafe(text), terminalWidth(process.stdout), hangRule(hang)) + '\n');
}

/** info() for running text: wrapped to the terminal; whole when stderr is not one. */
export function infoFitted(text: string, hang?: Hang): void {
  process.stderr.write(fitLines(terminalSafe(text), terminalWidth(process.stderr), hangRule(hang)) + '\n');
}

const indentOf = (line: string) => line.length - line.trimStart().length;

function hangRule(hang: Hang | undefined): (line: string) => number {
  if (hang === undefined) return indentOf;
  if (typeof hang === 'function') return hang;
  return (line) => indentOf(line) + hang;
}

/** The terminal's width, or undefined when the stream is not a terminal (a pipe or file: never cut data). */
export function terminalWidth(stream: NodeJS.WriteStream = process.stdout): number | undefined {
  return stream.isTTY && stream.columns > 0 ? stream.columns : undefined;
}

export interface TableOptions {
  align?: ('left' | 'right')[];
  /** The stream the table is written to (default stdout): its width and colour decide the layout. */
  stream?: NodeJS.WriteStream;
}

/**
 * A table for the terminal: fitted to its width (wrapped, or stacked when too narrow); at full width
 * when piped. Cells are escaped before anything is measured: a newline or ESC in a name would
 * otherwise break the layout or act on the terminal. Whatever ESC the table then holds is its own
 * colour (print() restores it).
 */
export function table(head: string[], rows: (string | number)[][], options: TableOptions = {}): string {
  const stream = options.stream ?? process.stdout;
  const safeRows = rows.map((row) => row.map((cell) => escapeControls(String(cell))));
  return ownColour(renderTable(head.map(escapeControls), safeRows, { align: options.align, width: terminalWidth(stream), color: useColor(stream) }));
}

export interface RenderTableOptions {
  align?: ('left' | 'right')[];
  /** Widest line allowed; undefined = no limit. */
  width?: number;
  color?: boolean;
}

/** Display width as the table library measures it (colour codes zero, wide characters two). */
export const displayWidth = (text: string): number => tableUtils.strlen(text);

/**
 * A column is not narrowed below its header, its longest unbreakable piece (capped here: a longer one
 * is broken mid-word) or this, unless its widest value is smaller; when even that does not fit, rows
 * are stacked instead of being wrapped into slivers.
 */
const MIN_COLUMN = 8;
const MAX_UNBROKEN = 16;

/**
 * Lays a table out within `width` columns, keeping every character of every cell:
 * 1. at its natural width when that fits (always when there is no width);
 * 2. else with the widest columns narrowed first and their cells wrapped (at spaces and path or
 *    name separators, or mid-word for a long token);
 * 3. else, when even that would squeeze a column below a readable width, as one "field: value"
 *    block per row.
 */
export function renderTable(head: string[], rows: (string | number)[][], options: RenderTableOptions = {}): string {
  const cells = rows.map((row) => head.map((_, i) => String(row[i] ?? '')));
  const natural = head.map((h, i) => Math.max(displayWidth(h), ...cells.map((row) => displayWidth(row[i]))));
  const overhead = 3 * head.length + 1; // "│ " before each cell, " " after it, and the closing "│"
  const width = options.width;
  let widths = natural;
  if (width !== undefined && sum(natural) + overhead > width) {
    const minimum = natural.map((n, i) =>
      Math.min(n, Math.max(MIN_COLUMN, displayWidth(head[i]), Math.min(MAX_UNBROKEN, Math.max(0, ...cells.map((row) => longestPiece(row[i])))))),
    );
    if (sum(minimum) + overhead > width) return stackedRows(head, cells, width, !!options.color);
    widths = [...natural];
    // Narrow the widest column one step at a time: long columns end up equally wide, short ones untouched.
    for (let excess = sum(widths) + overhead - width; excess > 0; excess--) {
      let widest = -1;
      for (let i = 0; i < widths.length; i++) if (widths[i] > minimum[i] && (widest < 0 || widths[i] > widths[widest])) widest = i;
      widths[widest]--;
    }
  }
  const t = new Table({
    head,
    // cli-table3 ignores NO_COLOR and would colour a pipe: pass an empty style when colour is off.
    style: options.color ? { head: ['cyan'], border: ['grey'] } : { head: [], border: [] },
    ...(options.align ? { colAligns: options.align } : {}),
    ...(widths !== natural ? { colWidths: widths.map((w) => w + 2) } : {}),
    chars: options.color ? undefined : { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const row of cells) t.push(widths === natural ? row : row.map((cell, i) => wrapText(cell, widths[i]).join('\n')));
  return t.toString();
}

/** One block per row, "Field: value", values wrapped under themselves; blocks separated by a blank line. */
function stackedRows(head: string[], cells: string[][], width: number, color: boolean): string {
  const labelWidth = Math.max(...head.map((h) => displayWidth(h))) + 2; // "Field:" and a space
  const valueWidth = Math.max(1, width - labelWidth);
  const paint = pc.createColors(color);
  const label = (h: string) => paint.cyan(`${h}:`) + ' '.repeat(labelWidth - displayWidth(h) - 1);
  return cells
    .map((row) =>
      head
        .map((h, i) =>
          wrapText(row[i], valueWidth)
            .map((line, n) => (n === 0 ? label(h) : ' '.repeat(labelWidth)) + line)
            .join('\n')
            .trimEnd(),
        )
        .join('\n'),
    )
    .join('\n\n');
}

// ANSI colour sequences (the table library's own pattern): kept whole and counted as zero width.
const ANSI = /\u001b\[(?:\d*;){0,5}\d*m/y;

// Where a line may break: after white space and after / \\ - _ . , ; : (paths, URLs, names, lists).
const BREAK_AFTER = /(?<=[\s/\\\-_.,;:])/;

function longestPiece(text: string): number {
  return Math.max(0, ...text.split(BREAK_AFTER).map((piece) => displayWidth(piece.trimEnd())));
}

/** Wraps text to `width` display columns without losing a character: at spaces and after / \ - _ . , ; : where it can, else mid-word. */
export function wrapText(text: string, width: number): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const pieces = line.split(BREAK_AFTER);
    let current = '';
    for (const piece of pieces) {
      if (displayWidth((current + piece).trimEnd()) <= width) {
        current += piece;
        continue;
      }
      if (current) out.push(current.trimEnd());
      current = piece;
      while (displayWidth(current.trimEnd()) > width) {
        const [first, rest] = splitAtWidth(current, width);
        out.push(first);
        current = rest;
      }
    }
    out.push(current.trimEnd());
  }
  return out;
}

/** The longest prefix of `text` at most `width` columns wide (at least one character), and the rest. */
function splitAtWidth(text: string, width: number): [string, string] {
  let used = 0;
  let index = 0;
  while (index < text.length) {
    ANSI.lastIndex = index;
    const code = ANSI.exec(text);
    if (code) {
      index += code[0].length;
      continue;
    }
    const char = String.fromCodePoint(text.codePointAt(index)!);
    const w = displayWidth(char);
    if (used + w > width && used > 0) break;
    used += w;
    index += char.length;
  }
  return [text.slice(0, index), text.slice(index)];
}

/**
 * Fits running text (reports, not tables) to `width`: each longer line is wrapped, its continuation
 * lines indented by `indent(line)` columns (default: the line's own indent). No width: unchanged.
 */
export function fitLines(text: string, width: number | undefined, indent: (line: string) => number = indentOf): string {
  if (width === undefined) return text;
  return text
    .split('\n')
    .map((line) => {
      if (displayWidth(line) <= width) return line;
      const hang = Math.min(indent(line), Math.floor(width / 2));
      const first = wrapText(line, width)[0]; // a prefix of the line (only trailing spaces dropped)
      const rest = line.slice(first.length).trimStart();
      return [first, ...wrapText(rest, width - hang).map((l) => ' '.repeat(hang) + l)].join('\n');
    })
    .join('\n');
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
