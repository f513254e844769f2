/** The workspace's pages, in navigation order. */
import type { PageModule } from '../app.js';
import { importPage } from './import.js';
import { verifyPage } from './verify.js';
import { webAppsPage } from './web-apps.js';

export function defaultModules(): PageModule[] {
  return [importPage, verifyPage, webAppsPage];
}
