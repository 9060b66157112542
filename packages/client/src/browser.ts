import { spawn } from 'node:child_process';

/**
 * Opens a URL in the system browser (RFC 8252 §4: native apps use an external user-agent, never
 * an embedded web view). Resolves once the opener started; it does not wait for the browser.
 * On Windows, rundll32's URL handler is used instead of `cmd /c start`, because cmd would
 * interpret the `&` and `%` of the query string.
 */
export function openSystemBrowser(url: string): Promise<void> {
  const [command, args]: [string, string[]] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['rundll32', ['url.dll,FileProtocolHandler', url]]
        : ['xdg-open', [url]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.once('error', reject);
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}
