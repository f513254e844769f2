/**
 * Defaults for the LOCAL emulator only (`mtdvat sandbox`). These credentials are public on purpose:
 * they work against 127.0.0.1 and nowhere else, so committing them is safe and lets users try the flow.
 */
import type { SandboxClient, SandboxTestUser } from './server.js';

export { DEFAULT_SANDBOX_CLIENT, DEFAULT_SANDBOX_PORT } from '../lib/emulator-defaults.js';

export const DEFAULT_TEST_USER: SandboxTestUser = {
  userId: '963148522341',
  password: 'sandbox-password',
  // 6665554 + mod-97 check digits "97" (see vrn.ts).
  vrn: '666555497',
  organisationName: 'Sandbox Trading Ltd',
};

/** HMRC's out-of-band redirect URIs (code shown in the page title instead of a redirect). */
export const OOB_REDIRECT_URIS = ['urn:ietf:wg:oauth:2.0:oob', 'urn:ietf:wg:oauth:2.0:oob:auto'];
