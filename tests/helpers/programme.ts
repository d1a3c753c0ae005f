/**
 * Sharing a community with an organisation as the product does it (issue 25): the organisation issues a single-use
 * share invitation (its admin's cookie, or its key while it has no admin) and the community's owner takes it.
 */
import { expect } from 'vitest';
import type { CommunityShares, InviteCreated } from '../../src/lib/protocol';
import { api, postJson, type ApiResponse } from './server';

/** Who asks the organisation for an invitation: its key (bearer) or a signed-in browser's headers. */
export type OrganisationCaller = { key: string } | { headers: Record<string, string> };

/** Asks for a share invitation; the raw response (tests of refusals read it). */
export function requestShareInvite(url: string, organisationId: string, caller: OrganisationCaller): Promise<ApiResponse<InviteCreated>> {
  const headers = 'key' in caller ? { authorization: `Bearer ${caller.key}` } : caller.headers;
  return postJson<InviteCreated>(url, `/api/organisations/${organisationId}/share-invites`, {}, headers);
}

/** The token of a new share invitation (from its link's fragment). */
export async function shareInviteToken(url: string, organisationId: string, caller: OrganisationCaller): Promise<string> {
  const response = await requestShareInvite(url, organisationId, caller);
  expect(response.status, response.text).toBe(201);
  const link = new URL(response.body.inviteUrl);
  expect(link.pathname).toBe('/share');
  const fragment = new URLSearchParams(link.hash.slice(1));
  expect(fragment.get('organisation')).toBe(organisationId);
  return fragment.get('token') ?? '';
}

/** The community shares with the organisation by taking `invite` (its key decides). */
export function shareByInvite(url: string, communityId: string, communityToken: string, organisationId: string, invite: string | null) {
  return api<CommunityShares>(url, `/api/communities/${communityId}/shares/${organisationId}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${communityToken}`, 'content-type': 'application/json' },
    body: invite === null ? undefined : JSON.stringify({ invite })
  });
}
