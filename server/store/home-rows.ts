/**
 * Rows of a facilitator's home (issue 24) as the store reads them, turned into records: kept apart from ./rows.ts
 * because they combine several tables and bound what they keep.
 */
import type { AttentionItem } from '../../src/lib/domain/statistics';
import type { Phase } from '../../src/lib/domain/phases';
import type { Row } from './schema';
import type { AccountOverview, HomeCommunityRow, HomeSessionRow, MembershipRole, SessionCredential } from './types';

/** Factors of the attention list a home row shows at a glance (the weakest and most divergent first). */
export const HOME_ATTENTION = 3;

export function toSessionCredential(row: Row): SessionCredential {
  return {
    id: row.id as string,
    code: row.code as string,
    communityId: (row.community_id as string | null) ?? null,
    facilitatorTokenHash: row.facilitator_token_hash as string
  };
}

const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

function attentionOf(text: unknown): AttentionItem[] | null {
  if (typeof text !== 'string') return null;
  try {
    const items = JSON.parse(text) as unknown;
    return Array.isArray(items) ? (items as AttentionItem[]).slice(0, HOME_ATTENTION) : null;
  } catch {
    return null;
  }
}

/**
 * A session reached both by its own membership and by its community's is listed once, with the stronger role;
 * `archivable` only where the account has a membership of the session itself (a community's sessions are
 * archived with their community).
 */
export function toAccountOverview(communities: Row[], sessions: Row[], latest: Row[], max: number): AccountOverview {
  const attention = new Map(latest.map((r) => [r.session_id as string, attentionOf(r.attention)]));
  const byId = new Map<string, HomeSessionRow>();
  for (const r of sessions) {
    const id = r.id as string;
    const direct = r.kind === 'session';
    const role = r.role as MembershipRole;
    const known = byId.get(id);
    if (known) {
      if (role === 'owner') known.role = 'owner';
      if (direct) {
        known.archivable = true;
        known.archivedAt = num(r.archived_at);
      }
      continue;
    }
    if (byId.size >= max) continue;
    byId.set(id, {
      id,
      code: r.code as string,
      title: r.title as string,
      phase: r.phase as Phase,
      communityId: (r.community_id as string | null) ?? null,
      timeZone: r.time_zone as string,
      createdAt: Number(r.created_at),
      updatedAt: Number(r.updated_at),
      participants: Number(r.participants ?? 0),
      role,
      archivable: direct,
      archivedAt: direct ? num(r.archived_at) : null,
      attention: attention.get(id) ?? null
    });
  }
  const homeCommunities: HomeCommunityRow[] = communities.map((r) => ({
    id: r.id as string,
    name: r.name as string,
    timeZone: r.time_zone as string,
    createdAt: Number(r.created_at),
    lastActivity: Math.max(Number(r.created_at), num(r.last_activity) ?? 0),
    sessions: Number(r.session_count ?? 0),
    role: r.role as MembershipRole,
    archivedAt: num(r.archived_at)
  }));
  homeCommunities.sort((a, b) => b.lastActivity - a.lastActivity || a.id.localeCompare(b.id));
  return { communities: homeCommunities, sessions: [...byId.values()] };
}
