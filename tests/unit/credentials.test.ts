/**
 * A session's credentials driven directly, without a room or sockets, on the real store in memory:
 * who holds which token, and the presenter credential a session created before presenter links
 * learns, on disk first, the first time its facilitator connects.
 */
import { describe, expect, it } from 'vitest';
import { Credentials } from '../../server/sessions/credentials';
import { derivePresenterToken, generateToken, hashToken } from '../../server/security/tokens';
import { SqliteStore } from '../../server/store/sqlite';
import type { SessionRecord } from '../../server/store/types';
import { sessionRecord } from '../helpers/store-contract';

async function setup(presenterTokenHash: string | null) {
  const store = new SqliteStore({ memory: true });
  const facilitatorToken = generateToken();
  const participantToken = generateToken();
  let session: SessionRecord = sessionRecord('s1', { facilitatorTokenHash: hashToken(facilitatorToken), presenterTokenHash });
  await store.createSession(session);
  let stored: (hash: string) => void = () => undefined;
  const storedOnce = new Promise<string>((resolve) => (stored = resolve));
  const credentials = new Credentials({
    session: () => session,
    participantByTokenHash: (hash) => (hash === hashToken(participantToken) ? 'p1' : undefined),
    store,
    presenterCredentialStored: (hash) => {
      session = { ...session, presenterTokenHash: hash };
      stored(hash);
    }
  });
  return { store, credentials, facilitatorToken, participantToken, storedOnce, session: () => session };
}

describe('Credentials', () => {
  it('tells the facilitator, a participant and a stranger apart', async () => {
    const { credentials, facilitatorToken, participantToken } = await setup(hashToken('presenter-token'));
    expect(credentials.authenticate(facilitatorToken)).toEqual({ role: 'facilitator' });
    expect(credentials.authenticate('presenter-token')).toEqual({ role: 'presenter' });
    expect(credentials.authenticate(participantToken)).toEqual({ role: 'participant', participantId: 'p1' });
    expect(credentials.authenticate(generateToken())).toBeNull();
  });

  it('stores the presenter credential of an older session when its facilitator connects, and only then lets the presenter in', async () => {
    const { store, credentials, facilitatorToken, storedOnce, session } = await setup(null);
    const presenterToken = derivePresenterToken(facilitatorToken);
    expect(credentials.authenticate(presenterToken)).toBeNull();
    expect(credentials.authenticate(facilitatorToken)).toEqual({ role: 'facilitator' });
    const hash = await storedOnce;
    expect(hash).toBe(hashToken(presenterToken));
    expect((await store.loadSession('s1'))?.session.presenterTokenHash).toBe(hash);
    expect(session().presenterTokenHash).toBe(hash);
    expect(credentials.authenticate(presenterToken)).toEqual({ role: 'presenter' });
  });
});
