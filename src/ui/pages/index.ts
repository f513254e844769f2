/** The workspace's pages, in navigation order (D365's work first, setup after). */
import type { PageModule } from '../app.js';
import { emPage } from './em.js';
import { importPage } from './import.js';
import { vatPage } from './vat.js';
import { verifyPage } from './verify.js';
import { webAppsPage } from './web-apps.js';

export function defaultModules(): PageModule[] {
  return [emPage, vatPage, webAppsPage, verifyPage, importPage];
}
