/**
 * Uploaded files (packages, return files) are hostile: the multipart body is streamed by busboy into an
 * exclusive (O_EXCL) 0600 file in a fresh 0700 folder under the home, within a byte limit taken from the
 * MTDVAT_LIMIT_* limits, then read by the same safe readers the CLI uses, then deleted.
 */
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { MtdvatError } from '../errors.js';

export class UploadError extends MtdvatError {
  constructor(
    message: string,
    readonly status: 400 | 403 | 413 = 400,
  ) {
    super(message);
  }
}

export interface Upload {
  /** Text fields of the form. */
  fields: Record<string, string>;
  /** The spooled file (absolute path), when one was sent. */
  file?: { path: string; name: string; bytes: number };
  /** Deletes the spooled file and its folder. Always call it. */
  dispose(): void;
}

/** A file name that is safe as the last part of a path and readable in a job list. */
export function safeFileName(name: string, fallback: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[^A-Za-z0-9._ ()+-]/g, '_').replace(/^[.\s]+/, '').slice(-120);
  return clean || fallback;
}

export interface UploadOptions {
  home: string;
  /** Most bytes the file may have. */
  maxBytes: number;
  /** The form field that carries the file. */
  fileField: string;
  fallbackName: string;
  /**
   * Called with the text fields received before the file starts (browsers send fields in document
   * order): the CSRF token is checked here, so a forged upload is refused before a byte is written.
   */
  beforeFile(fields: Record<string, string>): void;
}

export async function receiveUpload(contentType: string | undefined, body: ReadableStream<Uint8Array> | null, options: UploadOptions): Promise<Upload> {
  if (!contentType || !/^multipart\/form-data/i.test(contentType) || !body) throw new UploadError('expected a form upload (multipart/form-data)');
  const spoolRoot = join(options.home, 'tmp');
  mkdirSync(spoolRoot, { recursive: true, mode: 0o700 });
  const dir = mkdtempSync(join(spoolRoot, 'upload-'));
  const dispose = () => rmSync(dir, { recursive: true, force: true });
  const fields: Record<string, string> = {};
  let file: Upload['file'];
  let failure: Error | undefined;
  const writes: Promise<void>[] = [];
  try {
    const bb = busboy({
      headers: { 'content-type': contentType },
      limits: { files: 1, fields: 50, fieldSize: 64 * 1024, fileSize: options.maxBytes, parts: 60 },
    });
    bb.on('field', (name, value) => {
      fields[name] = value;
    });
    bb.on('file', (name, stream, info) => {
      if (failure || name !== options.fileField) {
        stream.resume();
        return;
      }
      try {
        options.beforeFile(fields);
      } catch (e) {
        failure = e as Error;
        stream.resume();
        return;
      }
      const fileName = safeFileName(info.filename ?? '', options.fallbackName);
      const path = join(dir, fileName);
      let bytes = 0;
      stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
      stream.on('limit', () => {
        failure ??= new UploadError(`the file is larger than ${options.maxBytes.toLocaleString('en-GB')} bytes (MTDVAT_LIMIT_* limits)`, 413);
      });
      // 'wx': fails if anything already sits at the path; 0600: private to the user.
      writes.push(
        pipeline(stream, createWriteStream(path, { flags: 'wx', mode: 0o600 })).then(() => {
          file = { path, name: fileName, bytes };
        }),
      );
    });
    bb.on('filesLimit', () => (failure ??= new UploadError('send one file at a time')));
    bb.on('partsLimit', () => (failure ??= new UploadError('the form has too many parts')));
    bb.on('fieldsLimit', () => (failure ??= new UploadError('the form has too many fields')));
    await pipeline(Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>), bb);
    await Promise.all(writes);
    if (failure) throw failure;
    if (file && file.bytes === 0) throw new UploadError('the file is empty');
    return { fields, file, dispose };
  } catch (e) {
    dispose();
    if (e instanceof MtdvatError) throw e;
    throw new UploadError(`the upload could not be read (${(e as Error).message})`);
  }
}
