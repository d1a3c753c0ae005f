/**
 * A real OpenID Provider for tests: node-oidc-provider (`oidc-provider`, an OpenID Certified
 * implementation) on a loopback port. Its discovery, authorization, token and JWKS endpoints,
 * its signed ID tokens, nonce, PKCE and single-use codes are all the library's own; the only
 * code here is the login page the provider delegates to (as every deployment writes one),
 * which signs in a test user by the name typed into its form, without a password.
 */
import http from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration } from 'oidc-provider';
import { onTestFinished } from 'vitest';
import { boundedStep } from './teardown';

export interface TestUser {
  /** The login typed into the provider's form; also the `sub`. */
  login: string;
  email?: string;
  /** Left out of the claims when undefined (as providers that do not say do). */
  emailVerified?: boolean;
  name?: string;
}

/** The users every test provider knows. */
export const TEST_USERS: readonly TestUser[] = [
  { login: 'alice', email: 'alice@allowed.example', emailVerified: true, name: 'Alice Allowed' },
  { login: 'bob', email: 'bob@elsewhere.example', emailVerified: true, name: 'Bob Elsewhere' },
  // An address in the allowed domain that the provider says nobody has verified.
  { login: 'carol', email: 'carol@allowed.example', emailVerified: false, name: 'Carol Unverified' },
  // A provider that says nothing about verification (Microsoft Entra ID does not send email_verified).
  { login: 'dave', email: 'Dave@Allowed.Example', name: 'Dave Unsaid' },
  { login: 'erin', name: 'Erin Without Mail' }
];

export const TEST_CLIENT = { clientId: 'seeds-board', clientSecret: 'a-test-client-secret-of-enough-length' } as const;

export interface TestProvider {
  /** The issuer identifier, e.g. `http://127.0.0.1:41234` (what OIDC_ISSUER is set to). */
  issuer: string;
  /** Where the provider listens (differs from `issuer` only when a test asks for a mismatch). */
  url: string;
  /** Registers the board's redirect URI; call before the first request reaches the provider. */
  allowRedirect(uri: string): void;
  /** The board settings pointing at this provider. */
  settings(allowedDomains?: string[]): { issuer: string; clientId: string; clientSecret: string; allowedDomains: string[] };
  close(): Promise<void>;
}

export interface TestProviderOptions {
  /** The host the issuer names; `localhost` while listening on 127.0.0.1 makes a provider whose issuer is not its address. */
  issuerHost?: string;
  users?: readonly TestUser[];
  /** Close after the current test (default); false where the caller closes it (browser tests start it in beforeAll). */
  closeAfterTest?: boolean;
}

/**
 * The providers' signing key, made once per test process: an RSA key costs up to a second of CPU to generate on a
 * loaded machine, and a provider is started per test. Which key signs is the library's business; no test has the
 * board meet two providers' tokens.
 */
let signingKey: import('node:crypto').JsonWebKey | null = null;

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > 10_000) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

/**
 * Starts a provider on 127.0.0.1 (port 0) and closes it after the test. The provider itself is
 * built on its first request, so that the board's redirect URI (known once the board listens)
 * can be registered as a static client first.
 */
export async function startOidcProvider(options: TestProviderOptions = {}): Promise<TestProvider> {
  const users = new Map((options.users ?? TEST_USERS).map((u) => [u.login, u]));
  const redirectUris: string[] = [];
  let provider: Provider | null = null;
  let issuer = '';

  const build = (): Provider => {
    const key = (signingKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }));
    const configuration: Configuration = {
      clients: [
        {
          client_id: TEST_CLIENT.clientId,
          client_secret: TEST_CLIENT.clientSecret,
          redirect_uris: [...redirectUris],
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic'
        }
      ],
      // Every client must send a PKCE S256 challenge.
      pkce: { required: () => true },
      jwks: { keys: [{ ...key, kid: 'test-signing-key', alg: 'RS256', use: 'sig' }] },
      cookies: { keys: [randomBytes(32).toString('base64url')] },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
      features: { devInteractions: { enabled: false } },
      ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
      interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
      // The board is the organisation's own (first-party) application: no consent screen, every requested scope granted.
      loadExistingGrant: async (ctx) => {
        const clientId = ctx.oidc.client!.clientId;
        const accountId = ctx.oidc.session!.accountId!;
        const existing = ctx.oidc.session!.grantIdFor(clientId);
        if (existing) {
          const grant = await ctx.oidc.provider.Grant.find(existing);
          if (grant) return grant;
        }
        const grant = new ctx.oidc.provider.Grant({ clientId, accountId });
        grant.addOIDCScope('openid email profile');
        await grant.save();
        ctx.oidc.session!.grantIdFor(clientId, grant.jti);
        return grant;
      },
      findAccount: (_ctx, sub) => {
        const user = users.get(sub);
        if (!user) return undefined;
        return {
          accountId: sub,
          claims: () => ({
            sub,
            ...(user.email !== undefined ? { email: user.email } : {}),
            ...(user.emailVerified !== undefined ? { email_verified: user.emailVerified } : {}),
            ...(user.name !== undefined ? { name: user.name } : {})
          })
        };
      }
    };
    const built = new Provider(issuer, configuration);
    // Quiet: a refused request is what the attack tests are about, not a failure of the provider.
    built.on('server_error', (_ctx, error) => console.error('test OpenID Provider server_error', error));
    return built;
  };

  // The login page: a form (browser tests fill it in) and its POST, which finishes the interaction through the library.
  const interaction = async (req: http.IncomingMessage, res: http.ServerResponse, op: Provider): Promise<void> => {
    const details = await op.interactionDetails(req, res);
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(
        `<!doctype html><html lang="en"><head><title>Test identity provider</title></head><body>` +
          `<h1>Test identity provider</h1><form method="post" action="/interaction/${escapeHtml(details.uid)}/login">` +
          `<label>Login <input name="login" data-testid="op-login" autocomplete="off"></label>` +
          `<button type="submit" data-testid="op-submit">Sign in</button></form></body></html>`
      );
      return;
    }
    const login = (await readForm(req)).get('login') ?? '';
    if (!users.has(login)) {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`unknown test user "${login}"`);
      return;
    }
    await op.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
  };

  const server = http.createServer((req, res) => {
    provider ??= build();
    const op = provider;
    if (req.url?.startsWith('/interaction/')) {
      interaction(req, res, op).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(`interaction failed: ${error instanceof Error ? error.message : String(error)}`);
      });
      return;
    }
    void op.callback()(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  issuer = `http://${options.issuerHost ?? '127.0.0.1'}:${port}`;
  let closed: Promise<void> | null = null;
  const running: TestProvider = {
    issuer,
    url: `http://127.0.0.1:${port}`,
    allowRedirect(uri) {
      if (provider) throw new Error('allowRedirect after the provider served its first request');
      redirectUris.push(uri);
    },
    settings: (allowedDomains = []) => ({ issuer, clientId: TEST_CLIENT.clientId, clientSecret: TEST_CLIENT.clientSecret, allowedDomains }),
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }))
  };
  if (options.closeAfterTest !== false) onTestFinished(() => boundedStep('closing the OpenID provider', running.close()));
  return running;
}
