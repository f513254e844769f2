import type { CommandModule } from 'yargs';
import { inspectPackageCommand } from './inspect-package.js';
import { verifyCommand } from './verify.js';
import { webAppsCommand } from './web-apps.js';
import { exportPackageCommand } from './export-package.js';
import { importPackageCommand } from './import-package.js';
import { importJobsCommand } from './import-jobs.js';
import { configCommand } from './config.js';
import { keysCommand } from './keys.js';
import { authCommand } from './auth.js';
import { sandboxCommand } from './sandbox.js';
import { vatCommand } from './vat.js';
import { vat100Command } from './vat100.js';
import { emCommand } from './em.js';
import { fphCommand } from './fph.js';
import { uiCommand } from './ui.js';

/**
 * Every command, registered explicitly. Command modules stay light at load time (heavy libraries are
 * imported inside handlers) so `mtdvat --help` starts as fast as plain node.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [
  importPackageCommand,
  importJobsCommand,
  inspectPackageCommand,
  exportPackageCommand,
  verifyCommand,
  webAppsCommand,
  authCommand,
  vatCommand,
  vat100Command,
  emCommand,
  fphCommand,
  sandboxCommand,
  uiCommand,
  keysCommand,
  configCommand,
];
