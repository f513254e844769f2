/** Runs the BUILT binary (what ships), the way a user or a script does: no terminal, CI=true. */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'mtdvat.js');
/** The real D365 export from `../shared/fixtures/real-d365/`, kept in the repo so a clone anywhere can test against it. */
export const REAL_D365 = join(ROOT, 'test', 'fixtures', 'real-d365', 'PackageTemplate.zip');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', NO_COLOR: '1', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

export function tempDir(prefix = 'mtdvat-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A fresh base64 data key, as MTDVAT_MASTER_KEY expects. */
export function newMasterKey(): string {
  return randomBytes(32).toString('base64');
}
