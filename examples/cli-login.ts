/**
 * A command-line app that signs in through Gatehouse.
 *
 *   npm run cli -- clients create --name "My CLI" --email you@example.com --public \
 *     --redirect-url http://127.0.0.1/callback --grant-type authorization_code --grant-type refresh_token \
 *     --scope "openid profile email"
 *   GATEHOUSE_ISSUER=http://localhost:8000 GATEHOUSE_CLIENT_ID=<id> npx tsx examples/cli-login.ts [login|whoami|logout]
 *
 * GATEHOUSE_ISSUER must be the server's public_url exactly (discovery checks the issuer).
 *
 * The session is kept in ~/.config/gatehouse/ (0600), so `whoami` works without a browser
 * until the refresh token is revoked or expires.
 */
import { GatehouseClient, GatehouseClientError, openSystemBrowser } from '@gatehouse/client';

const issuer = process.env.GATEHOUSE_ISSUER ?? 'http://localhost:8000';
const clientId = process.env.GATEHOUSE_CLIENT_ID;
if (!clientId) {
  console.error('Set GATEHOUSE_CLIENT_ID to a public client registered with http://127.0.0.1/callback.');
  process.exit(2);
}

const client = new GatehouseClient({
  issuer,
  clientId,
  openBrowser: async (url) => {
    // Print the address too: over SSH, or without a desktop, the person opens it by hand.
    console.log(`Opening your browser to sign in. If it does not open, visit:\n  ${url}`);
    await openSystemBrowser(url).catch(() => undefined);
  },
});
client.on('login', (user) => console.log(`Signed in as ${user.preferred_username ?? user.email ?? user.sub}.`));
client.on('logout', () => console.log('Signed out.'));

async function main(command: string): Promise<void> {
  switch (command) {
    case 'login':
      await client.login();
      return;
    case 'whoami': {
      if (!(await client.isLoggedIn())) await client.login();
      const user = await client.getUser();
      console.log(JSON.stringify(user, null, 2));
      return;
    }
    case 'logout': {
      const { revoked } = await client.logout();
      if (!revoked) console.log('The server could not be told; the local session is gone anyway.');
      return;
    }
    default:
      throw new Error(`unknown command ${command}; use login, whoami or logout`);
  }
}

main(process.argv[2] ?? 'whoami').catch((err: unknown) => {
  if (err instanceof GatehouseClientError) console.error(`${err.code}: ${err.message}`);
  else console.error(err);
  process.exitCode = 1;
});
