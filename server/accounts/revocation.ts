/**
 * Removing a co-facilitator takes effect at once (issue 24): their open socket.io connections to the target's
 * live sessions end and their board (Yjs) connections close, so their pages lose the controls; REST refuses them
 * at their next request because access reads the membership on every request.
 *
 * A community's sessions may live on other instances of a cluster, so the removal is also announced over
 * PostgreSQL (LISTEN/NOTIFY on the lease connection, server/cluster/leases.ts); each instance ends the account's
 * connections to the live sessions it owns. If that notification is lost (the lease connection broke), that
 * instance gave up every room anyway, and every client reconnects through a fresh handshake, which reads the
 * membership again. The account is disconnected only from sessions it no longer reaches by any membership
 * (an owner of the community who was a co-facilitator of one session keeps it).
 */
import type { SessionRegistry } from '../sessions/registry';
import type { SessionLeases } from '../cluster/leases';
import type { MembershipKind } from '../store/types';
import type { FacilitatorAccess } from './access';

interface Revoked {
  accountId: string;
  kind: MembershipKind;
  target: string;
}

export class Revocations {
  constructor(
    private readonly registry: SessionRegistry,
    private readonly access: FacilitatorAccess,
    private readonly leases: SessionLeases
  ) {
    leases.onRevoked((payload) => {
      const revoked = parse(payload);
      if (revoked) void this.apply(revoked).catch((error) => console.error('accounts: applying a removed membership failed:', error));
    });
  }

  /** After the membership was deleted from the store: ends the account's connections here and on every other instance. */
  async revoke(revoked: Revoked): Promise<void> {
    await this.apply(revoked);
    await this.leases.announceRevoked(JSON.stringify(revoked)).catch((error) => console.error('cluster: announcing a removed membership failed:', error));
  }

  /** The live sessions here that the target covers, each checked once against the account's remaining memberships. */
  private async apply({ accountId, kind, target }: Revoked): Promise<void> {
    const affected = this.registry.liveSessions().filter((live) => (kind === 'session' ? live.id === target : live.communityId === target));
    for (const live of affected) {
      if ((await this.access.sessionRole(accountId, { id: live.id, communityId: live.communityId })) === null) live.revokeAccount(accountId);
    }
  }
}

function parse(payload: string): Revoked | null {
  try {
    const value = JSON.parse(payload) as Partial<Revoked>;
    if (typeof value.accountId !== 'string' || typeof value.target !== 'string' || (value.kind !== 'session' && value.kind !== 'community')) return null;
    return { accountId: value.accountId, kind: value.kind, target: value.target };
  } catch {
    return null;
  }
}
