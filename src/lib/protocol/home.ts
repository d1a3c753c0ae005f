/**
 * A facilitator's home (issue 24): what `GET /api/me` answers, and the bodies of the routes around it
 * (claims, archive, invites, co-facilitators). The contract's fields (`id`, `name`, `communities[].id/name`,
 * `sessions[].code/title/phase`) stay as they are; everything else is added beside them.
 */
import type { Phase } from '../domain/phases';
import type { AttentionItem } from '../domain/statistics';

export type MemberRole = 'owner' | 'facilitator';

export interface HomeCommunity {
  id: string;
  name: string;
  role: MemberRole;
  /** When this account archived it (hidden from its home, reversible), or null. */
  archivedAt: string | null;
  /** Its sessions, live ones (paper sessions are on its page). */
  sessions: number;
  /** The latest change in any of its sessions, or its creation (ISO-8601). */
  lastActivity: string;
}

export interface HomeSession {
  code: string;
  title: string;
  phase: Phase;
  role: MemberRole;
  /** The community it belongs to (its sessions are reached through its membership), or null. */
  communityId: string | null;
  /** The day it was held where the group met (YYYY-MM-DD). */
  date: string;
  /** The latest change in it (ISO-8601): the home is ordered by this, newest first. */
  lastActivity: string;
  participants: number;
  /** The first few factors of its latest revealed round's attention list; null before the first reveal. */
  attention: Pick<AttentionItem, 'number' | 'weak' | 'divergent' | 'mean' | 'consensus'>[] | null;
  /** Whether it can be archived on its own (a community's sessions go with their community). */
  archivable: boolean;
  archivedAt: string | null;
}

/** `GET /api/me`. */
export interface AccountHomeView {
  id: string;
  name: string;
  communities: HomeCommunity[];
  sessions: HomeSession[];
  /** The organisations whose programme view the account reads (issue 25): as their admin or a programme lead. */
  organisations: HomeOrganisation[];
}

/** An organisation on the home: `admin` invites and removes programme leads; a `lead` reads the programme view. */
export interface HomeOrganisation {
  id: string;
  name: string;
  role: 'admin' | 'lead';
}

/** `POST /api/me/claims`: what became the account's (communities by id, sessions by code) and how many keys were refused. */
export interface ClaimResult {
  communities: string[];
  sessions: string[];
  /** Organisations the account became (or already was) the admin of; one that has another admin is refused. */
  organisations: string[];
  refused: number;
}

/** `POST /api/communities/:id/invites` and `POST /api/sessions/:code/invites`. */
export interface InviteCreated {
  inviteUrl: string;
  expiresAt: string;
}

/** `POST /api/invites/accept`: where the new co-facilitator goes next. */
export type InviteAccepted = { kind: 'community'; id: string } | { kind: 'organisation'; id: string } | { kind: 'session'; code: string };

/** `GET /api/communities/:id/facilitators` (and the session's): the caller's role and everyone with a membership. */
export interface FacilitatorList {
  role: MemberRole;
  members: { accountId: string; name: string; role: MemberRole; addedAt: number }[];
}
