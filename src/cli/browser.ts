import { childEnv } from '../lib/child-env.js';

/** Opens a URL or file in the desktop browser when there is one; never fails the command. */
export function openBrowser(target: string): Promise<boolean> {
  const hasDisplay = process.platform === 'darwin' || process.platform === 'win32' || !!process.env.DISPLAY || !!process.env.WAYLAND_DISPLAY;
  if (!hasDisplay) return Promise.resolve(false);
  return import('node:child_process').then(
    ({ spawn }) =>
      new Promise<boolean>((resolve) => {
        try {
          const [cmd, args] =
            process.platform === 'darwin' ? ['open', [target]] : process.platform === 'win32' ? ['rundll32', ['url.dll,FileProtocolHandler', target]] : ['xdg-open', [target]];
          const child = spawn(cmd as string, args as string[], { stdio: 'ignore', detached: true, env: childEnv() });
          child.once('error', () => resolve(false));
          child.once('spawn', () => {
            child.unref();
            resolve(true);
          });
        } catch {
          resolve(false);
        }
      }),
  );
}
