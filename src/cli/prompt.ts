import { UsageError } from '../errors.js';

/** Reads all of stdin (for --secret-stdin / --code-stdin), trimming one trailing newline. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export function isInteractive(): boolean {
  return !!process.stdin.isTTY && !!process.stderr.isTTY && !process.env.CI;
}

/** Asks on stderr without echoing what is typed (secrets never appear on screen or in argv). */
export async function askHidden(question: string): Promise<string> {
  if (!process.stdin.isTTY) throw new UsageError(`${question.trim()} needs a terminal; pass the value on stdin instead`);
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    let value = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          done();
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          done();
          reject(new UsageError('cancelled'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    const done = () => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
    };
    stdin.on('data', onData);
  });
}

/** A visible question on stderr, answered on stdin. */
export async function ask(question: string): Promise<string> {
  const { createInterface } = await import('node:readline'); // only prompts pay for loading readline
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await new Promise((resolve) => rl.question(question, resolve));
  } finally {
    rl.close();
  }
}

/** Yes/no question on stderr. Without a terminal it refuses (scripts pass --yes). */
export async function confirm(question: string, flagName = '--yes'): Promise<boolean> {
  if (!isInteractive()) {
    throw new UsageError(`confirmation needed: ${question.trim()} — re-run with ${flagName} to confirm non-interactively`);
  }
  return /^y(es)?$/i.test((await ask(`${question} [y/N] `)).trim());
}
