import type { CommandModule } from 'yargs';
import { webAppsCommand } from './web-apps.js';
import { verifyCommand } from './verify.js';
import { exportPackageCommand } from './export-package.js';
import { keysCommand } from './keys.js';
import { authCommand } from './auth.js';

/**
 * Every command, registered explicitly. Command modules stay light at load time (heavy libraries are
 * imported inside handlers) so `mtdvat --help` starts as fast as plain node.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [
  webAppsCommand,
  verifyCommand,
  exportPackageCommand,
  keysCommand,
  authCommand,
];
