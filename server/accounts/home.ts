/**
 * `GET /api/me` (issue 24): the account and its home, built from one bounded overview read
 * (server/store/home-rows.ts), never a query per row or per round.
 */
import { localDay } from '../../src/lib/domain/dates';
import type { AccountHomeView } from '../../src/lib/protocol';
import type { AccountOrganisationRow, AccountOverview } from '../store/types';

/** Sessions and communities one home lists at most (the latest by activity): bounded work per request. */
export const HOME_MAX = 200;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function homeView(account: { id: string; name: string }, overview: AccountOverview, organisations: AccountOrganisationRow[] = []): AccountHomeView {
  return {
    id: account.id,
    name: account.name,
    communities: overview.communities.map((c) => ({
      id: c.id,
      name: c.name,
      role: c.role,
      archivedAt: iso(c.archivedAt),
      sessions: c.sessions,
      lastActivity: new Date(c.lastActivity).toISOString()
    })),
    sessions: overview.sessions.map((s) => ({
      code: s.code,
      title: s.title,
      phase: s.phase,
      role: s.role,
      communityId: s.communityId,
      date: localDay(s.createdAt, s.timeZone),
      lastActivity: new Date(s.updatedAt).toISOString(),
      participants: s.participants,
      attention: s.attention ? s.attention.map(({ number, weak, divergent, mean, consensus }) => ({ number, weak, divergent, mean, consensus })) : null,
      archivable: s.archivable,
      archivedAt: iso(s.archivedAt)
    })),
    // An organisation's 'owner' membership is its admin, a 'facilitator' one a programme lead.
    organisations: organisations.map((o) => ({ id: o.id, name: o.name, role: o.role === 'owner' ? 'admin' : 'lead' }))
  };
}
