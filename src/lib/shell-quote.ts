/**
 * Quotes one word for a POSIX shell, for the commands mtdvat suggests ("run: mtdvat … --app NAME").
 * A name from a package may hold `$(…)`, backticks or quotes: inside double quotes the shell would
 * still run them when the suggestion is pasted. Single quotes take everything literally; a single
 * quote itself is written as '\'' (close, escaped quote, reopen). Plain names stay bare.
 */
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function shellQuote(word: string): string {
  if (SAFE.test(word) && !word.startsWith('-')) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
