/** Runs the BUILT binary (what ships), the way a user or a script does: no terminal, CI=true. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
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

export interface RunCliOptions {
  /** Added to the minimal environment (PATH, HOME, CI=true, NO_COLOR=1): nothing else leaks in from the test runner. */
  env?: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed (closed at once when absent). */
  input?: string;
  /** Working directory (default: the repository root). */
  cwd?: string;
  /** Called with each chunk of stderr as it arrives (to react to a prompt or a URL). */
  onStderr?: (chunk: string) => void;
}

/**
 * The one way tests run the BUILT binary. The promise carries the child process, for tests that
 * signal it or talk to it while it runs.
 */
export function runCli(args: string[], options: RunCliOptions = {}): Promise<CliResult> & { child: ChildProcess } {
  if (!existsSync(BIN)) throw new Error(`${BIN} missing: npm run build first`);
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', NO_COLOR: '1', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
    options.onStderr?.(c);
  });
  const done = new Promise<CliResult>((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
  }) as Promise<CliResult> & { child: ChildProcess };
  child.stdin.end(options.input ?? '');
  done.child = child;
  return done;
}

export function tempDir(prefix = 'mtdvat-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A fresh base64 data key, as MTDVAT_MASTER_KEY expects. */
export function newMasterKey(): string {
  return randomBytes(32).toString('base64');
}
