import { describe, expect, it } from 'vitest';
import { lstatSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withAtomicFile, writeFileAtomicSync } from '../../src/lib/atomic-file.js';
import { saveStateFile } from '../../src/emulator/persist.js';

const dir = () => mkdtempSync(join(tmpdir(), 'mtdvat-atomic-'));

describe('atomic file writes', () => {
  it('replace a symlink at the target, never writing its target, and leave no temp file', () => {
    const d = dir();
    writeFileSync(join(d, 'precious'), 'not yours');
    symlinkSync(join(d, 'precious'), join(d, 'out'));
    writeFileAtomicSync(join(d, 'out'), 'new', 0o600);
    expect(readFileSync(join(d, 'precious'), 'utf8')).toBe('not yours');
    expect(lstatSync(join(d, 'out')).isFile()).toBe(true);
    expect(statSync(join(d, 'out')).mode & 0o777).toBe(0o600);
    expect(readdirSync(d).sort()).toEqual(['out', 'precious']);
  });

  it('a failed write leaves the existing file and removes its temp file', async () => {
    const d = dir();
    writeFileSync(join(d, 'out'), 'old');
    await expect(
      withAtomicFile(join(d, 'out'), async (tmp) => {
        writeFileSync(tmp, 'half');
        throw new Error('disk on fire');
      }),
    ).rejects.toThrow('disk on fire');
    expect(readFileSync(join(d, 'out'), 'utf8')).toBe('old');
    expect(readdirSync(d)).toEqual(['out']);
  });

  it('the emulator state file never follows a symlink planted at the old temp name (<file>.<pid>.tmp)', () => {
    const d = dir();
    writeFileSync(join(d, 'precious'), 'not yours');
    const state = join(d, 'sandbox-9999.json');
    symlinkSync(join(d, 'precious'), `${state}.${process.pid}.tmp`);
    saveStateFile(state, '{"ok":true}\n');
    expect(readFileSync(join(d, 'precious'), 'utf8')).toBe('not yours');
    expect(readFileSync(state, 'utf8')).toBe('{"ok":true}\n');
  });
});
