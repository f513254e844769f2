/**
 * Every file mtdvat writes goes to a fresh temp file in the same folder and is renamed over the
 * target only once it is complete, so:
 * - a failed or interrupted write leaves an existing output as it was;
 * - a symlink planted at the output is replaced, never followed (rename acts on the name), so its
 *   target is never written;
 * - the temp name is random and created exclusively (O_CREAT|O_EXCL, which also refuses an existing
 *   symlink), so nobody can plant a file or link under it in advance.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/** A temp name next to `path`: hidden, random, never reused. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(9).toString('base64url')}.tmp`);
}

/** A rename is durable only once its folder is flushed. */
export function fsyncDirOf(path: string): void {
  if (process.platform === 'win32') return;
  try {
    const fd = openSync(dirname(path), 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Best effort: some filesystems refuse fsync on folders.
  }
}

/** Writes `data` to `path` through an exclusive temp file + rename. `mode` applies to the new file. */
export function writeFileAtomicSync(path: string, data: string | Uint8Array, mode = 0o600): void {
  const tmp = tempPathFor(path);
  const fd = openSync(tmp, 'wx', mode);
  try {
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (error) {
    try {
      unlinkSync(tmp);
    } catch {
      // already renamed or gone
    }
    throw error;
  }
  fsyncDirOf(path);
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  await withAtomicFile(path, async (tmp) => {
    const handle = await open(tmp, 'r+');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }, mode);
}

/**
 * For writers that stream: creates the temp file exclusively, lets `write` fill it (by path, opened
 * without truncation or 'r+'), then renames it over `path`. On any error the temp file is removed and
 * `path` is untouched.
 */
export async function withAtomicFile<T>(path: string, write: (tmpPath: string) => Promise<T>, mode = 0o600): Promise<T> {
  const tmp = tempPathFor(path);
  await (await open(tmp, 'wx', mode)).close();
  try {
    const result = await write(tmp);
    await rename(tmp, path);
    fsyncDirOf(path);
    return result;
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}
