/**
 * What both sides need of the LOCAL emulator (`mtdvat sandbox`): its default port and its public demo
 * client. The credentials are public on purpose: they work against 127.0.0.1 and nowhere else.
 */
export const DEFAULT_SANDBOX_PORT = 9797;

export const DEFAULT_SANDBOX_CLIENT = {
  clientId: 'mtdvat-local-sandbox-client',
  clientSecret: 'mtdvat-local-sandbox-secret-not-for-hmrc',
  applicationName: 'mtdvat local sandbox',
} as const;
