/**
 * An organisation's share invitation (issue 25): the link its admin sends to a community's owner,
 * `…/share#organisation=<id>&token=<token>`. The token travels in the fragment, so no server log holds it; the
 * community's page reads the pasted link here. Pure: no I/O.
 */
export interface ShareInvitation {
  organisationId: string;
  token: string;
}

const ID = /^[A-Za-z0-9-]{1,64}$/;
const TOKEN = /^[A-Za-z0-9_-]{16,128}$/;

/** The organisation and token of a pasted invitation link (whitespace around it allowed), or null. */
export function parseShareInvitation(text: string): ShareInvitation | null {
  const trimmed = text.trim();
  const hash = trimmed.indexOf('#');
  if (hash < 0 || trimmed.length > 1000) return null;
  const fragment = new URLSearchParams(trimmed.slice(hash + 1));
  const organisationId = fragment.get('organisation') ?? '';
  const token = fragment.get('token') ?? '';
  return ID.test(organisationId) && TOKEN.test(token) ? { organisationId, token } : null;
}
