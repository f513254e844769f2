import { parse } from 'csv-parse';
import { Readable, pipeline } from 'node:stream';
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
  async function* text(): AsyncGenerator<string> {
    for await (const chunk of stream) yield decoder.write(chunk as Buffer);
    yield decoder.end();
  }
  // Through pipeline(), so an error on either side (broken quoting, bytes that are not text) rejects the
  // loop below: with a bare pipe() a decoding error was thrown from the source and the loop hung.
  const parser = parse({ delimiter, relax_column_count: false, skip_empty_lines: true, bom: true });
  pipeline(Readable.from(text()), parser, () => {});
  let header: string[] | undefined;
  let count = 0;
  try {
    for await (const row of parser as AsyncIterable<string[]>) {
      if (!header) {
        header = row.map((c) => c.trim());
        continue;
      }
      count++;
      const values = emptyValues();
      header.forEach((column, i) => (values[column] = row[i] ?? ''));
      yield { no: count, values };
    }
  } catch (error) {
    if (error instanceof PackageError) throw error;
    const e = error as Error & { lines?: number };
    throw new PackageError(`"${file}" is not valid CSV${e.lines ? ` (line ${e.lines})` : ''}: ${e.message}`, { file, record: count + 1 });
  }
}
