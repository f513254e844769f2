/**
 * Runs the BUILT binary in a pseudo-terminal of a given width, the way a person at a terminal does:
 * util-linux `script` gives the command a TTY on stdout and stderr, `stty cols N` sets its width.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/mtdvat.js', import.meta.url));

/** Whether `script` and `stty` are here (util-linux, coreutils): the terminal tests are skipped with a notice otherwise. */
export const haveScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export interface TerminalResult {
  code: number;
  /** stdout and stderr as the terminal showed them (one stream), colour codes removed, \r\n as \n. */
  text: string;
}

export function runInTerminal(args: string[], options: { cols: number; env: NodeJS.ProcessEnv; cwd?: string }): Promise<TerminalResult> {
  const command = `stty cols ${options.cols}; exec ${[process.execPath, BIN, ...args].map(quote).join(' ')}`;
  return new Promise((resolvePromise, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.on('error', reject);
    child.on('close', (code) =>
      resolvePromise({
        code: code ?? -1,
        // eslint-disable-next-line no-control-regex
        text: out.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '').replace(/\r\n/g, '\n').replace(/^.*\r(?!\n)/gm, ''),
      }),
    );
  });
}

/** Lines wider than `cols` (every character here is one column: ASCII and box drawing). */
export function linesWiderThan(text: string, cols: number): string[] {
  return text.split('\n').filter((line) => [...line].length > cols);
}
