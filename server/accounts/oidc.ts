/**
 * Sign-in with the organisation's identity provider: an OpenID Connect relying party built on
 * `openid-client` (panva; OpenID Certified). The library does all of the protocol's checks —
 * discovery and its issuer, the authorization response (`state`, RFC 9207 `iss`), the code
 * exchange with PKCE and client authentication, the ID token's signature, `iss`, `aud`, `exp`,
 * `nonce` — and this module only keeps the per-browser secrets between the two legs and applies
 * the board's own rule: the e-mail domains the operator allows (OIDC_ALLOWED_DOMAINS).
 */
import type * as Client from 'openid-client';
import { CommandError } from '../../src/lib/protocol';
import type { OidcSettings } from '../config';
import type { ExternalIdentity } from './external-identity';
import type { AccountStore } from '../store/types';
import { generateToken, hashToken } from '../security/tokens';

/** How long a browser has between leaving for the provider and coming back (a login with MFA fits easily). */
export const PENDING_LOGIN_MS = 10 * 60_000;
/** After a failed discovery, starts answer `provider_unavailable` for this long without asking the provider again. */
const DISCOVERY_RETRY_MS = 30_000;
/** Discovered metadata is refreshed after a day (keys rotate through the JWKS, which the library refetches itself). */
const DISCOVERY_MAX_AGE_MS = 24 * 3_600_000;
/** Seconds each request to the provider may take. */
const PROVIDER_TIMEOUT_S = 10;

const MAX_SUBJECT = 255;
const MAX_NAME = 200;
const MAX_EMAIL = 254;

/**
 * openid-client is loaded at the first discovery, not when the server starts: only a board configured for OpenID
 * Connect uses it, and a start would otherwise pay for it on every instance and every child server a test starts.
 * Every use of the library follows a discovery, so the methods below find it loaded.
 */
let loading: Promise<typeof Client> | null = null;
const openidClient = () => (loading ??= import('openid-client'));

/** The secrets of one login under way, kept on the server; the browser holds only `id`, in an HttpOnly cookie. */
export interface PendingLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
  redirectUri: string;
  /** Where to land after signing in (a path on this board). */
  next: string;
  expiresAt: number;
}

/** Where logins under way wait for their callback: each taken at most once (a replayed callback finds nothing). */
export interface LoginStash {
  /** Keeps the login and answers the id the browser will carry. */
  add(login: PendingLogin): Promise<string>;
  /** The login for `id`, removed; null when unknown, already taken or expired. */
  take(id: string | undefined): Promise<PendingLogin | null>;
}

/**
 * Logins under way in the store, as ceremonies (like WebAuthn challenges): under the hash of the browser's
 * id, taken once in one delete, so a replay finds nothing on any instance, and a restart loses none.
 * Expired ones are purged with the other ceremonies.
 */
export class StoredLogins implements LoginStash {
  constructor(
    private readonly store: Pick<AccountStore, 'saveCeremony' | 'takeCeremony'>,
    private readonly now: () => number = Date.now
  ) {}

  async add(login: PendingLogin): Promise<string> {
    const id = generateToken();
    const { expiresAt, ...secrets } = login;
    await this.store.saveCeremony({ idHash: hashToken(id), purpose: 'oidc', challenge: JSON.stringify(secrets), accountId: null, name: null, expiresAt });
    return id;
  }

  async take(id: string | undefined): Promise<PendingLogin | null> {
    if (!id) return null;
    const ceremony = await this.store.takeCeremony(hashToken(id), this.now());
    if (!ceremony || ceremony.purpose !== 'oidc') return null;
    const secrets = JSON.parse(ceremony.challenge) as Omit<PendingLogin, 'expiresAt'>;
    return { ...secrets, expiresAt: ceremony.expiresAt };
  }
}

/** The domain of an e-mail address, lower-cased; null for something that is not one. */
export function emailDomain(email: string): string | null {
  const at = email.lastIndexOf('@');
  if (at < 1 || at === email.length - 1) return null;
  return email.slice(at + 1).toLowerCase();
}

/**
 * The board's rule on the provider's claims: with allowed domains, the account needs an e-mail
 * address in one of them that the provider did not call unverified (`email_verified: false`; a
 * provider that says nothing, such as Entra ID, vouches for the addresses of its own tenant).
 * Returns the e-mail to keep (none when the provider called it unverified).
 */
export function checkEmail(claims: { email?: unknown; email_verified?: unknown }, allowedDomains: readonly string[]): string | undefined {
  const email = typeof claims.email === 'string' && claims.email.length <= MAX_EMAIL && emailDomain(claims.email) ? claims.email : undefined;
  // Some providers send the flag as a string.
  const unverified = claims.email_verified === false || claims.email_verified === 'false';
  if (allowedDomains.length > 0) {
    if (!email)
      throw new CommandError('domain_not_allowed', 'The identity provider gave no e-mail address; this board accepts only the domains it was set up for.');
    if (unverified) throw new CommandError('domain_not_allowed', 'The identity provider has not verified this e-mail address.');
    if (!allowedDomains.includes(emailDomain(email)!))
      throw new CommandError('domain_not_allowed', `E-mail addresses of ${emailDomain(email)} may not sign in to this board.`);
  }
  return email && !unverified ? email : undefined;
}

/** `next` as given to a start: a path on this board, or /home. Never another origin (`//host`, `/\host`). */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && next.length <= 512 && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) ? next : '/home';
}

function isLoopbackIssuer(issuer: string): boolean {
  return new URL(issuer).protocol === 'http:';
}

/** The relying party: discovery on first use, then starts and callbacks. */
export class OidcClient {
  private discovered: { configuration: Client.Configuration; at: number } | null = null;
  private discovering: Promise<Client.Configuration> | null = null;
  private failedAt = -Infinity;

  constructor(
    readonly settings: OidcSettings,
    private readonly pending: LoginStash,
    private readonly now: () => number = Date.now
  ) {}

  /** The provider's configuration, discovered once (concurrent starts share one discovery). */
  private configuration(): Promise<Client.Configuration> {
    const now = this.now();
    if (this.discovered && now - this.discovered.at < DISCOVERY_MAX_AGE_MS) return Promise.resolve(this.discovered.configuration);
    if (this.discovering) return this.discovering;
    if (now - this.failedAt < DISCOVERY_RETRY_MS)
      return Promise.reject(new CommandError('provider_unavailable', 'The identity provider could not be reached a moment ago; try again shortly.'));
    this.discovering = this.discover()
      .then((configuration) => {
        this.discovered = { configuration, at: this.now() };
        return configuration;
      })
      .catch((error: unknown) => {
        this.failedAt = this.now();
        // Operators read why (wrong issuer, unreachable, bad metadata); browsers get the code.
        console.error(`OpenID Connect discovery of ${this.settings.issuer} failed:`, error instanceof Error ? error.message : error);
        throw new CommandError('provider_unavailable', 'The identity provider could not be reached or is not the configured issuer.');
      })
      .finally(() => {
        this.discovering = null;
      });
    return this.discovering;
  }

  private async discover(): Promise<Client.Configuration> {
    const { issuer, clientId, clientSecret } = this.settings;
    const client = await openidClient();
    // Plain http only for a provider on loopback (config.ts refuses it anywhere else).
    const execute = isLoopbackIssuer(issuer) ? [client.allowInsecureRequests] : [];
    // The library checks that the metadata names exactly this issuer (a mix-up or a wrong OIDC_ISSUER stops here).
    const found = await client.discovery(new URL(issuer), clientId, undefined, client.ClientSecretBasic(clientSecret), {
      execute,
      timeout: PROVIDER_TIMEOUT_S
    });
    const metadata = found.serverMetadata();
    // client_secret_basic is the default of the specification; a provider that lists only client_secret_post gets that.
    const methods = metadata.token_endpoint_auth_methods_supported;
    if (!methods || methods.includes('client_secret_basic')) return found;
    if (!methods.includes('client_secret_post'))
      throw new Error(`the provider supports neither client_secret_basic nor client_secret_post (${methods.join(', ')})`);
    const configuration = new client.Configuration(metadata, clientId, clientSecret, client.ClientSecretPost(clientSecret));
    for (const run of execute) run(configuration);
    configuration.timeout = PROVIDER_TIMEOUT_S;
    return configuration;
  }

  /** Starts a login: the provider's authorization URL and the id of the secrets kept for the callback. */
  async start(redirectUri: string, next: string): Promise<{ loginId: string; location: string }> {
    const configuration = await this.configuration();
    const client = await openidClient();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const codeVerifier = client.randomPKCECodeVerifier();
    const location = client.buildAuthorizationUrl(configuration, {
      redirect_uri: redirectUri,
      scope: 'openid email profile',
      response_type: 'code',
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256'
    });
    const loginId = await this.pending.add({ state, nonce, codeVerifier, redirectUri, next: safeNext(next), expiresAt: this.now() + PENDING_LOGIN_MS });
    return { loginId, location: location.href };
  }

  /**
   * Completes a login from the provider's answer (`query`, the callback's query string). The
   * pending login is taken first, whatever follows: each can be tried once.
   */
  async finish(loginId: string | undefined, query: string): Promise<{ identity: ExternalIdentity; next: string }> {
    const login = await this.pending.take(loginId);
    if (!login) throw new CommandError('sign_in_failed', 'This sign-in was not started in this browser, took too long, or was already used; start again.');
    const configuration = await this.configuration();
    const client = await openidClient();
    const callback = new URL(login.redirectUri);
    callback.search = query;
    let tokens: Awaited<ReturnType<typeof Client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(configuration, callback, {
        expectedState: login.state,
        expectedNonce: login.nonce,
        pkceCodeVerifier: login.codeVerifier,
        idTokenExpected: true
      });
    } catch (error) {
      console.warn('OpenID Connect callback refused:', describe(error));
      throw new CommandError('sign_in_failed', 'The identity provider’s answer could not be verified; start signing in again.');
    }
    const claims = tokens.claims()! as Client.IDToken & ProfileClaims;
    if (typeof claims.sub !== 'string' || claims.sub.length === 0 || claims.sub.length > MAX_SUBJECT)
      throw new CommandError('sign_in_failed', 'The identity provider named no usable subject.');
    let profile: ProfileClaims = claims;
    // Some providers (SURFconext among them) put e-mail and name in the UserInfo answer, not in the ID token.
    if ((claims.email === undefined || claims.name === undefined) && configuration.serverMetadata().userinfo_endpoint) {
      try {
        // The library checks that the answer is about the same subject.
        const info = await client.fetchUserInfo(configuration, tokens.access_token, claims.sub);
        profile = { ...info, ...pick(claims) };
      } catch (error) {
        console.warn('OpenID Connect UserInfo failed:', describe(error));
      }
    }
    const email = checkEmail(profile, this.settings.allowedDomains);
    const name = typeof profile.name === 'string' && profile.name.trim() ? profile.name.trim().slice(0, MAX_NAME) : undefined;
    return {
      identity: {
        issuer: this.settings.issuer,
        subject: claims.sub,
        profile: { ...(name ? { name } : {}), ...(email ? { email } : {}) }
      },
      next: login.next
    };
  }
}

type ProfileClaims = { email?: unknown; email_verified?: unknown; name?: unknown };

/** The ID token's own profile claims, which win over UserInfo's. */
function pick(claims: ProfileClaims): ProfileClaims {
  const out: ProfileClaims = {};
  if (claims.email !== undefined) out.email = claims.email;
  if (claims.email_verified !== undefined) out.email_verified = claims.email_verified;
  if (claims.name !== undefined) out.name = claims.name;
  return out;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
}
