import { randomBytes } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { AuthenticationResponseJSON, AuthenticatorTransportFuture, RegistrationResponseJSON } from '@simplewebauthn/server';
import { sendError } from '../http/errors';
import { generateToken, hashToken } from '../security/tokens';
import { signedIn, signInLimits, type AccountRouteDeps } from './routes';
import type { CeremonyRecord } from '../store/types';
import type { RegisterResponse } from '../../src/lib/protocol/accounts';
import { LIMITS } from '../../src/lib/protocol/limits';

/** How long a passkey ceremony may take from options to finish. */
const CEREMONY_MS = 5 * 60_000;
const RP_NAME = 'Seeds of Innovation live board';

const Ceremony = z.string().regex(/^[A-Za-z0-9_-]{43}$/);
// The browser's credential as @simplewebauthn/browser sends it; the library checks every part of it.
const Credential = z.looseObject({ id: z.string().max(1366), rawId: z.string().max(1366), type: z.literal('public-key'), response: z.looseObject({}) });
const RegisterStart = z.object({ name: z.string().max(LIMITS.nameUnits) }).strict();
const Finish = z.object({ ceremony: Ceremony, response: Credential }).strict();

/**
 * @simplewebauthn/server is loaded at the first passkey ceremony, not when the server starts: importing it (and the
 * certificate and ASN.1 packages under it) costs about 0.25 s of CPU, paid by every instance and every child server
 * a test starts whether or not anyone uses a passkey there. One import, shared by concurrent first ceremonies.
 */
let loading: Promise<typeof import('@simplewebauthn/server')> | null = null;
const webauthn = () => (loading ??= import('@simplewebauthn/server'));

/**
 * Passkeys (WebAuthn) with @simplewebauthn/server: sign up with a name (recovery codes shown once), sign in with a
 * discoverable credential (no user name), and add a passkey from a signed-in browser. Each ceremony's challenge is
 * kept in the store under the hash of a random id that the page sends back, taken once and within five minutes:
 * never trusted from the client. The relying party is the request's public origin (PUBLIC_URL, TRUST_PROXY), so
 * localhost works as the secure context it is.
 */
export function createPasskeyRouter(deps: AccountRouteDeps): Router {
  const router = express.Router();
  const json = express.json({ limit: '32kb', type: () => true });
  const { accounts } = deps;
  const store = accounts.store;
  const limits = signInLimits(deps);

  const relyingParty = (req: Request) => {
    const origin = deps.requests.origin(req);
    return { origin, rpID: new URL(origin).hostname };
  };

  async function startCeremony(res: Response, ceremony: Omit<CeremonyRecord, 'idHash' | 'expiresAt'>, options: unknown): Promise<void> {
    const id = generateToken();
    await store.saveCeremony({ ...ceremony, idHash: hashToken(id), expiresAt: Date.now() + CEREMONY_MS });
    res.json({ ceremony: id, options });
  }

  /** The ceremony a finish names, for this purpose; null after answering. */
  async function takeCeremony(req: Request, res: Response, purpose: CeremonyRecord['purpose']) {
    const parsed = Finish.safeParse(req.body);
    if (!parsed.success) {
      sendError(res, 'bad_request', 'Send {ceremony, response} as the passkey options answered.');
      return null;
    }
    const ceremony = await store.takeCeremony(hashToken(parsed.data.ceremony), Date.now());
    if (!ceremony || ceremony.purpose !== purpose) {
      sendError(res, 'unauthorized', 'This passkey request expired or was already used; start again.');
      return null;
    }
    return { ceremony, response: parsed.data.response };
  }

  async function verifyNew(req: Request, res: Response, challenge: string, response: unknown) {
    const { origin, rpID } = relyingParty(req);
    // Loaded outside the try: a package that fails to load is a server error, not an unverified passkey.
    const { verifyRegistrationResponse } = await webauthn();
    try {
      const result = await verifyRegistrationResponse({
        response: response as RegistrationResponseJSON,
        expectedChallenge: challenge,
        expectedOrigin: origin,
        expectedRPID: rpID,
        requireUserVerification: true
      });
      if (result.verified) return result.registrationInfo.credential;
    } catch {
      // A malformed or forged answer: refused below like an unverified one.
    }
    sendError(res, 'unauthorized', 'The passkey could not be verified.');
    return null;
  }

  router.post('/register/options', json, async (req, res) => {
    if (!(await limits.attempt(req, res))) return;
    const parsed = RegisterStart.safeParse(req.body);
    const name = parsed.success ? parsed.data.name.trim() : '';
    if (!name) return sendError(res, 'bad_request', 'Send {name} (your name as colleagues know it).');
    const { rpID } = relyingParty(req);
    const options = await (
      await webauthn()
    ).generateRegistrationOptions({
      rpName: RP_NAME,
      rpID,
      userName: name,
      userDisplayName: name,
      userID: randomBytes(16),
      attestationType: 'none',
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' }
    });
    await startCeremony(res, { purpose: 'register', challenge: options.challenge, accountId: null, name }, options);
  });

  router.post('/register/finish', json, async (req, res) => {
    const taken = await takeCeremony(req, res, 'register');
    if (!taken) return;
    const credential = await verifyNew(req, res, taken.ceremony.challenge, taken.response);
    if (!credential) return;
    if (!(await limits.creation(req, res))) return;
    const account = await accounts.createAccount(taken.ceremony.name ?? '');
    try {
      await store.addPasskey({
        credentialId: credential.id,
        accountId: account.id,
        publicKey: Buffer.from(credential.publicKey).toString('base64url'),
        counter: credential.counter,
        transports: credential.transports ?? [],
        createdAt: Date.now(),
        lastUsedAt: null
      });
    } catch (error) {
      // The credential is registered already (a replayed answer): no account without a way in.
      await store.deleteAccount(account.id);
      throw error;
    }
    const recoveryCodes = await accounts.issueRecoveryCodes(account.id);
    await accounts.startSession(res, account.id);
    const body: RegisterResponse = { id: account.id, name: account.name, recoveryCodes };
    res.status(201).json(body);
  });

  router.post('/sign-in/options', async (req, res) => {
    if (!(await limits.attempt(req, res))) return;
    const { rpID } = relyingParty(req);
    // Usernameless: no credentials listed, the authenticator offers the discoverable ones it holds for this site.
    const options = await (await webauthn()).generateAuthenticationOptions({ rpID, allowCredentials: [], userVerification: 'required' });
    await startCeremony(res, { purpose: 'authenticate', challenge: options.challenge, accountId: null, name: null }, options);
  });

  router.post('/sign-in/finish', json, async (req, res) => {
    if (!(await limits.attempt(req, res))) return;
    const taken = await takeCeremony(req, res, 'authenticate');
    if (!taken) return;
    const response = taken.response as unknown as AuthenticationResponseJSON;
    const passkey = await store.findPasskey(response.id);
    const { origin, rpID } = relyingParty(req);
    let verified = false;
    let newCounter = 0;
    if (passkey) {
      const { verifyAuthenticationResponse } = await webauthn();
      try {
        const result = await verifyAuthenticationResponse({
          response,
          expectedChallenge: taken.ceremony.challenge,
          expectedOrigin: origin,
          expectedRPID: rpID,
          credential: {
            id: passkey.credentialId,
            publicKey: Buffer.from(passkey.publicKey, 'base64url'),
            counter: passkey.counter,
            transports: passkey.transports as AuthenticatorTransportFuture[]
          },
          requireUserVerification: true
        });
        verified = result.verified;
        newCounter = result.authenticationInfo.newCounter;
      } catch {
        verified = false;
      }
    }
    if (!passkey || !verified) return sendError(res, 'unauthorized', 'This passkey is not known here or could not be verified.');
    await store.usePasskey(passkey.credentialId, newCounter, Date.now());
    const account = await store.loadAccount(passkey.accountId);
    if (!account) return sendError(res, 'unauthorized', 'This passkey is not known here or could not be verified.');
    await accounts.startSession(res, account.id);
    res.json({ id: account.id, name: account.name });
  });

  router.post('/add/options', async (req, res) => {
    const account = await signedIn(accounts, req, res);
    if (!account) return;
    const { rpID } = relyingParty(req);
    const existing = await store.listPasskeys(account.id);
    const options = await (
      await webauthn()
    ).generateRegistrationOptions({
      rpName: RP_NAME,
      rpID,
      userName: account.name,
      userDisplayName: account.name,
      userID: randomBytes(16),
      attestationType: 'none',
      // The same authenticator twice would be no second way in.
      excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: p.transports as AuthenticatorTransportFuture[] })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' }
    });
    await startCeremony(res, { purpose: 'add-passkey', challenge: options.challenge, accountId: account.id, name: null }, options);
  });

  router.post('/add/finish', json, async (req, res) => {
    const account = await signedIn(accounts, req, res);
    if (!account) return;
    const taken = await takeCeremony(req, res, 'add-passkey');
    if (!taken) return;
    if (taken.ceremony.accountId !== account.id) return sendError(res, 'forbidden', 'This passkey request belongs to another account.');
    const credential = await verifyNew(req, res, taken.ceremony.challenge, taken.response);
    if (!credential) return;
    if (await store.findPasskey(credential.id)) return sendError(res, 'bad_request', 'This passkey is registered already.');
    await store.addPasskey({
      credentialId: credential.id,
      accountId: account.id,
      publicKey: Buffer.from(credential.publicKey).toString('base64url'),
      counter: credential.counter,
      transports: credential.transports ?? [],
      createdAt: Date.now(),
      lastUsedAt: null
    });
    res.status(201).json({ passkeys: (await store.listPasskeys(account.id)).length });
  });

  return router;
}
