import { derivePresenterToken, hashToken } from '../security/tokens';
import type { SessionRecord, SessionStore } from '../store/types';
import type { Identity } from './projections';

/** What deciding who holds a token reads and may write: the session as it stands, its members' token hashes, the store. */
export interface CredentialsHost {
  session(): Readonly<SessionRecord>;
  participantByTokenHash(hash: string): string | undefined;
  store: Pick<SessionStore, 'updateSession'>;
  /** A presenter credential is on disk: memory follows (the room keeps the session record). */
  presenterCredentialStored(presenterTokenHash: string): void;
}

/** A session's credentials: the facilitator's, the presenter's (derived from it) and the participants' tokens. */
export class Credentials {
  constructor(private readonly host: CredentialsHost) {}

  /** Decides who holds `token`, or null. */
  authenticate(token: string): Identity | null {
    const hash = hashToken(token);
    const session = this.host.session();
    if (hash === session.facilitatorTokenHash) {
      this.rememberPresenterCredential(token);
      return { role: 'facilitator' };
    }
    if (session.presenterTokenHash !== null && hash === session.presenterTokenHash) return { role: 'presenter' };
    const participantId = this.host.participantByTokenHash(hash);
    return participantId ? { role: 'participant', participantId } : null;
  }

  /** Sessions created before presenter links learn their presenter credential the first time the facilitator connects. */
  private rememberPresenterCredential(facilitatorToken: string): void {
    const session = this.host.session();
    if (session.presenterTokenHash !== null) return;
    const presenterTokenHash = hashToken(derivePresenterToken(facilitatorToken));
    // Store first: the presenter link works once its credential is on disk (the facilitator, who shows it, connects first).
    this.host.store.updateSession(session.id, { presenterTokenHash }).then(
      () => this.host.presenterCredentialStored(presenterTokenHash),
      (error) => console.error('Storing a presenter credential failed', error)
    );
  }
}
