import pc from 'picocolors';
import Table from 'cli-table3';

/** Colour only for a terminal, never when piped or when NO_COLOR is set. */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR) return true;
  return !!stream.isTTY;
}

export function colors(stream: NodeJS.WriteStream = process.stdout) {
  return pc.createColors(useColor(stream));
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function print(line = ''): void {
  process.stdout.write(line + '\n');
}

/** Diagnostics and progress go to stderr so stdout stays clean for data and --json. */
export function info(line: string): void {
  process.stderr.write(line + '\n');
}

export function table(head: string[], rows: (string | number)[][], options: { align?: ('left' | 'right')[] } = {}): string {
  const color = useColor();
  // cli-table3 ignores NO_COLOR and would colour a pipe: pass an empty style when colour is off.
  const t = new Table({
    head,
    style: color ? { head: ['cyan'], border: ['grey'] } : { head: [], border: [] },
    ...(options.align ? { colAligns: options.align } : {}),
    chars: color ? undefined : { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const row of rows) t.push(row.map(String));
  return t.toString();
}
