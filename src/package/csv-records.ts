import { parse } from 'csv-parse';
import type { Readable } from 'node:stream';
import { PackageError } from '../errors.js';
import { ChunkDecoder } from './text.js';
import { emptyValues, type RawRecord } from './records.js';

/** Delimiter from the DMF source format name (`CSV-Unicode`, `Semicolon…`, `Tab…`, `Pipe…`). */
export function delimiterFor(sourceFormat: string): string {
  const f = sourceFormat.toLowerCase();
  if (f.includes('semicolon')) return ';';
  if (f.includes('tab')) return '\t';
  if (f.includes('pipe') || f.includes('vertical')) return '|';
  if (f.includes('colon')) return ':';
  return ',';
}

/** RFC 4180 CSV (UTF-8 or UTF-16 with BOM, CRLF or LF); row 1 holds the column names. */
export async function* readCsvRecords(stream: Readable, file: string, delimiter = ','): AsyncGenerator<RawRecord> {
  const decoder = new ChunkDecoder(file);
  const parser = parse({ delimiter, relax_column_count: false, skip_empty_lines: true, bom: true });
  const ready: string[][] = [];
  let failure: Error | undefined;
  parser.on('readable', () => {
    let row: string[] | null;
    while ((row = parser.read() as string[] | null) !== null) ready.push(row);
  });
  parser.on('error', (error: Error & { lines?: number }) => {
    failure ??= new PackageError(`"${file}" is not valid CSV${error.lines ? ` (line ${error.lines})` : ''}: ${error.message}`, { file });
  });
  let header: string[] | undefined;
  let count = 0;
  function* drain(): Generator<RawRecord> {
    for (const row of ready.splice(0, ready.length)) {
      if (!header) {
        header = row.map((c) => c.trim());
        continue;
      }
      count++;
      const values = emptyValues();
      header.forEach((column, i) => (values[column] = row[i] ?? ''));
      yield { no: count, values };
    }
  }
  const feed = async (text: string) => {
    if (text && !parser.write(text)) await new Promise((resolve) => parser.once('drain', resolve));
  };
  for await (const chunk of stream) {
    await feed(decoder.write(chunk as Buffer));
    if (failure) throw failure;
    yield* drain();
  }
  await feed(decoder.end());
  await new Promise<void>((resolve) => {
    parser.once('end', resolve);
    parser.once('error', () => resolve());
    parser.end();
  });
  if (failure) throw failure;
  yield* drain();
}
