/** The one table layout: fitted to a width without losing a character; at natural width when there is none. */
import { describe, expect, it } from 'vitest';
import { fitLines, renderTable, wrapText } from '../../src/cli/output.js';

const head = ['Entity', 'File', 'Format', 'Read', 'Created', 'Updated', 'Unchanged', 'Failed'];
const rows = [
  ['Electronic message processing additional fields', 'Electronic message processing additional fields.xml', 'xml-element', 12, 12, 0, 0, 0],
  ['Web applications', 'Web applications.xml', 'xml-element', 2, 0, 1, 1, 0],
];
const widest = (text: string) => Math.max(...text.split('\n').map((l) => [...l].length));
/** Every non-space, non-border character of a layout, in order. */
const letters = (text: string) => text.replace(/[\s│┌┐└┘├┤┬┴┼─:]/g, '');

describe('renderTable', () => {
  it('without a width: one line per row, nothing cut', () => {
    const out = renderTable(head, rows);
    expect(widest(out)).toBeGreaterThan(120);
    expect(out.split('\n').filter((l) => l.includes('Electronic message processing additional fields.xml'))).toHaveLength(1);
  });

  it('too wide for the width: narrowed and wrapped, every character kept in order', () => {
    const two = [['Dynamics 365 Finance', 'https://api.service.hmrc.gov.uk', 'set (encrypted)', 'no tokens'], ['Sandbox HMRC', 'http://127.0.0.1:9797', 'not set', 'valid until 2026-12-02T10:00:00.000Z']];
    const h = ['Name', 'Base URL', 'Client ID', 'Token'];
    const out = renderTable(h, two, { width: 60 });
    expect(widest(out)).toBeLessThanOrEqual(60);
    expect(out).toContain('┌'); // still a table
    // Column by column, the wrapped cell text reads back as the value.
    const cellText = (col: number) =>
      out
        .split('\n')
        .filter((l) => l.startsWith('│'))
        .map((l) => l.split('│')[col + 1].trim());
    const urlColumn = cellText(1).join('');
    expect(urlColumn).toContain('https://api.service.hmrc.gov.uk');
    expect(urlColumn).toContain('http://127.0.0.1:9797');
  });

  it('too narrow for a readable table: one "Field: value" block per row', () => {
    const out = renderTable(head, rows, { width: 80 });
    expect(widest(out)).toBeLessThanOrEqual(80);
    expect(out).not.toContain('┌');
    const blocks = out.split('\n\n');
    expect(blocks).toHaveLength(2);
    expect(blocks[0]).toMatch(/^Entity: +Electronic message processing additional fields$/m);
    expect(blocks[0]).toMatch(/^Unchanged: +0$/m);
    expect(letters(blocks[1])).toBe(letters(head.map((h, i) => `${h}${rows[1][i]}`).join('')));
  });

  it('a value longer than the narrowest block still wraps within the width and keeps its characters', () => {
    const long = 'x'.repeat(100);
    const out = renderTable(['A', 'B'], [[long, 'y']], { width: 30 });
    expect(widest(out)).toBeLessThanOrEqual(30);
    const column = out.split('\n').filter((l) => l.startsWith('│')).map((l) => l.split('│')[1].trim());
    expect(column.join('')).toBe(`A${long}`);
  });

  it('colour codes take no width', () => {
    const out = renderTable(head, rows, { width: 80, color: true });
    // eslint-disable-next-line no-control-regex
    expect(widest(out.replace(/\u001b\[[0-9;]*m/g, ''))).toBeLessThanOrEqual(80);
    expect(out).toContain('\u001b[');
  });
});

describe('wrapText and fitLines', () => {
  it('breaks at spaces and separators, mid-word only for a token longer than the width', () => {
    expect(wrapText('Message additional field values.xml', 12)).toEqual(['Message', 'additional', 'field', 'values.xml']);
    expect(wrapText('https://api.service.hmrc.gov.uk/oauth', 14)).toEqual(['https://api.', 'service.hmrc.', 'gov.uk/oauth']);
    expect(wrapText('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
    expect(wrapText('two\nlines', 10)).toEqual(['two', 'lines']);
  });

  it('wide characters count two columns', () => {
    for (const line of wrapText('日本語のテキスト', 5)) expect([...line].length * 2).toBeLessThanOrEqual(5 + 1);
  });

  it('fitLines wraps long lines with a hanging indent and leaves short ones and a missing width alone', () => {
    const text = '  WARN  Client ID of "Dynamics 365 Finance"  [credentials.dynamics-365-finance.client-id]\nshort';
    expect(fitLines(text, undefined)).toBe(text);
    const out = fitLines(text, 40, () => 8);
    expect(widest(out)).toBeLessThanOrEqual(40);
    expect(out.split('\n')[1]).toMatch(/^ {8}\S/);
    expect(out.split('\n').at(-1)).toBe('short');
    expect(letters(out)).toBe(letters(text));
  });
});
