/**
 * Types for the parts of exceljs 4.4.0 that xlsx-records.ts uses directly (exceljs ships types for
 * its main module only). Only what we call is declared.
 */
declare module 'exceljs/lib/stream/xlsx/worksheet-reader.js' {
  interface WorksheetReaderOptions {
    workbook: { sharedStrings: unknown[]; styles: unknown; properties: { model: { date1904: boolean } } };
    id: number;
    iterator: AsyncIterable<string | Uint8Array>;
    options: { worksheets: 'emit'; hyperlinks: 'ignore' };
  }
  export default class WorksheetReader implements AsyncIterable<{ number: number; values: unknown[] }> {
    constructor(options: WorksheetReaderOptions);
    [Symbol.asyncIterator](): AsyncIterator<{ number: number; values: unknown[] }>;
  }
}

declare module 'exceljs/lib/xlsx/xform/style/styles-xform.js' {
  export default class StylesXform {
    init(): void;
    parseStream(chunks: AsyncIterable<string | Uint8Array>): Promise<unknown>;
  }
}

declare module 'exceljs/lib/xlsx/xform/strings/shared-strings-xform.js' {
  export default class SharedStringsXform {
    model: { values: unknown[] };
    parseStream(chunks: AsyncIterable<string | Uint8Array>): Promise<unknown>;
  }
}
