/**
 * Types for the one helper of cli-table3 0.6.5 that output.ts uses directly (the package ships types
 * for its main module only): the display width it lays cells out by, so our fitting and its drawing
 * measure text the same way (ANSI colours zero, East Asian wide characters two).
 */
declare module 'cli-table3/src/utils.js' {
  const utils: { strlen(text: string): number };
  export default utils;
}
