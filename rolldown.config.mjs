// Bundles the compiled CLI (dist/src) into a few files: Node's start-up cost here is mostly opening
// and compiling many small modules (yargs alone is dozens), and the targets ask `mtdvat --help` and
// `mtdvat auth status` to start close to plain `node`. Heavy or native libraries stay external and
// are still loaded lazily by the commands that need them.
export default {
  input: 'dist/src/cli/main.js',
  platform: 'node',
  external: [/^node:/, 'better-sqlite3', 'libsodium-wrappers-sumo', /^exceljs(\/|$)/, 'playwright-core'],
  output: { dir: 'dist/bundle', format: 'esm', entryFileNames: 'mtdvat.mjs', chunkFileNames: '[name]-[hash].mjs' },
};
