import { TextDecoder } from 'node:util';
import { PackageError } from '../errors.js';

export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be';

/**
 * Picks the encoding from the byte-order mark, as D365 writes one on every file (UTF-16LE manifests,
 * UTF-8 data). Without a BOM: UTF-8, unless the bytes are plainly UTF-16 (a NUL in every other byte),
 * which we refuse rather than guess the byte order.
 */
export function sniffEncoding(head: Uint8Array, file: string): TextEncodingName {
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  if (head.length >= 4 && ((head[0] !== 0 && head[1] === 0 && head[3] === 0) || (head[0] === 0 && head[2] === 0 && head[1] !== 0))) {
    throw new PackageError(`"${file}" looks like UTF-16 without a byte-order mark; save it with a BOM (UTF-16LE as D365 does) or as UTF-8`, {
      file,
    });
  }
  return 'utf-8';
}

/** Streaming decoder over chunks; strips the BOM; invalid bytes are an error, never U+FFFD. */
export class ChunkDecoder {
  private decoder?: TextDecoder;
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly file: string) {}

  write(chunk: Buffer): string {
    if (!this.decoder) {
      const head = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
      if (head.length < 4) {
        this.pending = head;
        return '';
      }
      this.pending = Buffer.alloc(0);
      this.decoder = new TextDecoder(sniffEncoding(head, this.file), { fatal: true, ignoreBOM: false });
      return this.decode(head, true);
    }
    return this.decode(chunk, true);
  }

  end(): string {
    if (!this.decoder) {
      const head = this.pending;
      this.decoder = new TextDecoder(sniffEncoding(head, this.file), { fatal: true });
      return this.decode(head, false);
    }
    return this.decode(new Uint8Array(), false);
  }

  private decode(bytes: Uint8Array, stream: boolean): string {
    try {
      return this.decoder!.decode(bytes, { stream });
    } catch {
      throw new PackageError(`"${this.file}" is not valid ${this.decoder!.encoding} text`, { file: this.file });
    }
  }
}

export function decodeText(bytes: Buffer, file: string): string {
  const decoder = new ChunkDecoder(file);
  return decoder.write(bytes) + decoder.end();
}
