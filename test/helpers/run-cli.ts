/** Runs the BUILT binary (node bin/mtdvat.js) the way a user's shell would: no TTY, CI=true. */
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'mtdvat.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {}): CliResult {
  const base: NodeJS.ProcessEnv = { ...process.env, CI: 'true', NO_COLOR: '1' };
  delete base.FORCE_COLOR;
  delete base.MTDVAT_MASTER_KEY;
  delete base.MTDVAT_HOME;
  const env = { ...base, ...options.env };
  const r = spawnSync(process.execPath, [BIN, ...args], { env, input: options.input ?? '', cwd: options.cwd ?? dirname(BIN), encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
