/**
 * The environment for every process mtdvat starts (the browser opener, `xrandr`): the parent's,
 * without the variables that unlock the store. A child (or whatever it starts in turn, such as a
 * browser that keeps running) has no business with the data key or the passphrase that protects it.
 */
export const SECRET_ENV_VARS: readonly string[] = ['MTDVAT_MASTER_KEY', 'MTDVAT_PASSPHRASE'];

export function childEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  for (const name of SECRET_ENV_VARS) delete out[name];
  return out;
}
