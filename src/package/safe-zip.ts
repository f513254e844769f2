import yauzl from 'yauzl';
import { Transform, type Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { PackageError } from '../errors.js';
import type { ZipLimits } from './limits.js';

/**
 * yauzl wrapped in the limits yauzl leaves to its callers: entry count, per-entry and total size,
 * compression ratio, CRC-32, and a stricter name policy (no `..`, absolute, drive-letter or
 * backslash names; no duplicates that differ only in case).
 */
export class SafeZip {
  private totalRead = 0;
  private readonly byLowerName = new Map<string, yauzl.Entry>();

  private constructor(
    private readonly zip: yauzl.ZipFile,
    readonly entries: yauzl.Entry[],
    private readonly limits: ZipLimits,
    readonly label: string,
  ) {
    for (const entry of entries) this.byLowerName.set(entry.fileName.toLowerCase(), entry);
  }

  static async open(source: string | Buffer, limits: ZipLimits, label: string): Promise<SafeZip> {
    const options: yauzl.Options = { lazyEntries: true, autoClose: false, strictFileNames: true, validateEntrySizes: true };
    let zip: yauzl.ZipFile;
    try {
      zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
        const done = (err: Error | null, z?: yauzl.ZipFile) => (err || !z ? reject(err ?? new Error('no zip')) : resolve(z));
        if (typeof source === 'string') yauzl.open(source, options, done);
        else yauzl.fromBuffer(source, options, done);
      });
    } catch (error) {
      throw new PackageError(`${label} is not a readable zip file: ${(error as Error).message}`, { file: label });
    }
    try {
      if (zip.entryCount > limits.maxEntries) {
        throw new PackageError(`${label} has ${zip.entryCount} entries; at most ${limits.maxEntries} are allowed`, { file: label });
      }
      const entries = await readEntries(zip, label);
      const safe = new SafeZip(zip, entries, limits, label);
      safe.checkEntries();
      return safe;
    } catch (error) {
      zip.close();
      throw error;
    }
  }

  private checkEntries(): void {
    const seen = new Map<string, string>();
    let declaredTotal = 0;
    for (const entry of this.entries) {
      const name = entry.fileName;
      if (name.startsWith('/') || /^[a-zA-Z]:/.test(name) || name.split('/').includes('..') || name.includes('\\')) {
        throw new PackageError(`${this.label} contains an unsafe entry name "${name}"`, { file: this.label });
      }
      const lower = name.toLowerCase();
      const other = seen.get(lower);
      if (other !== undefined) {
        throw new PackageError(`${this.label} contains duplicate entries "${other}" and "${name}"`, { file: this.label });
      }
      seen.set(lower, name);
      if (entry.uncompressedSize > this.limits.maxEntryBytes) {
        throw new PackageError(
          `${this.label}: entry "${name}" inflates to ${entry.uncompressedSize} bytes; at most ${this.limits.maxEntryBytes} are allowed`,
          { file: name },
        );
      }
      const ratio = entry.uncompressedSize / Math.max(entry.compressedSize, 1);
      if (entry.uncompressedSize > this.limits.ratioFloorBytes && ratio > this.limits.maxRatio) {
        throw new PackageError(
          `${this.label}: entry "${name}" has a compression ratio of ${Math.round(ratio)}:1 (limit ${this.limits.maxRatio}:1); refusing a possible zip bomb`,
          { file: name },
        );
      }
      declaredTotal += entry.uncompressedSize;
    }
    if (declaredTotal > this.limits.maxTotalBytes) {
      throw new PackageError(
        `${this.label} inflates to ${declaredTotal} bytes in total; at most ${this.limits.maxTotalBytes} are allowed`,
        { file: this.label },
      );
    }
  }

  /** Case-insensitive lookup; directory entries are never returned. */
  find(name: string): yauzl.Entry | undefined {
    const entry = this.byLowerName.get(name.toLowerCase());
    return entry && !entry.fileName.endsWith('/') ? entry : undefined;
  }

  /** A stream of the entry's bytes that errors on a CRC mismatch or when the total limit is passed. */
  async openStream(entry: yauzl.Entry): Promise<Readable> {
    const name = entry.fileName;
    // D365 writes stored or deflated entries; anything else is named here rather than failing inside yauzl.
    if (entry.isEncrypted()) {
      throw new PackageError(`${this.label}: entry "${name}" is encrypted (password-protected); mtdvat reads only unencrypted packages`, { file: name });
    }
    if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
      const method = COMPRESSION_METHODS[entry.compressionMethod];
      throw new PackageError(
        `${this.label}: entry "${name}" uses compression method ${entry.compressionMethod}${method ? ` (${method})` : ''}; only stored (0) and deflate (8) are supported`,
        { file: name },
      );
    }
    const raw = await new Promise<Readable>((resolve, reject) =>
      this.zip.openReadStream(entry, (err, stream) => (err || !stream ? reject(err ?? new Error('no stream')) : resolve(stream))),
    ).catch((error: Error) => {
      throw new PackageError(`${this.label}: entry "${name}" cannot be read: ${error.message}`, { file: name });
    });
    let crc = 0;
    const check = new Transform({
      // A deep buffer lets inflation (on the thread pool) run ahead while the parser works.
      readableHighWaterMark: 4 * 1024 * 1024,
      transform: (chunk: Buffer, _enc, callback) => {
        this.totalRead += chunk.length;
        if (this.totalRead > this.limits.maxTotalBytes) {
          callback(new PackageError(`${this.label} inflates to more than ${this.limits.maxTotalBytes} bytes`, { file: name }));
          return;
        }
        crc = crc32(chunk, crc);
        callback(null, chunk);
      },
      flush: (callback) => {
        if (crc >>> 0 !== entry.crc32 >>> 0) {
          callback(new PackageError(`${this.label}: entry "${name}" is corrupt (CRC-32 mismatch)`, { file: name }));
          return;
        }
        callback();
      },
    });
    raw.on('error', (error) =>
      check.destroy(
        error instanceof PackageError
          ? error
          : new PackageError(`${this.label}: entry "${name}" cannot be read: ${error.message}`, { file: name }),
      ),
    );
    return raw.pipe(check);
  }

  async readBuffer(entry: yauzl.Entry): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.openStream(entry)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  close(): void {
    this.zip.close();
  }
}

/** APPNOTE.TXT 4.4.5 (https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT): methods seen in the wild. */
const COMPRESSION_METHODS: Record<number, string> = {
  1: 'shrunk',
  6: 'imploded',
  9: 'Deflate64',
  12: 'bzip2',
  14: 'LZMA',
  93: 'Zstandard',
  95: 'xz',
  98: 'PPMd',
  99: 'AES encryption',
};

function readEntries(zip: yauzl.ZipFile, label: string): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    zip.on('entry', (entry: yauzl.Entry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.on('end', () => resolve(entries));
    zip.on('error', (error: Error) =>
      reject(new PackageError(`${label} is not a valid zip file: ${error.message}`, { file: label })),
    );
    zip.readEntry();
  });
}
