/**
 * Organisations belong to accounts (issue 25, item 3) against a real server with real accounts and cookie
 * sessions in its store: the signed-in creator is the organisation's admin, invites programme leads with a
 * single-use link, and removes them; the programme view (`portfolio.json`, `portfolio.xlsx`) opens with the
 * cookie of the admin or a lead, the organisation key keeps working, and everyone else is refused.
 */
import { promises as fs } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type {
  AccountHomeView,
  CreateCommunityResponse,
  CreateOrganisationResponse,
  FacilitatorList,
  InviteCreated,
  PortfolioView
} from '../../src/lib/protocol';
import type { RunningServer } from '../../server/app';
import { api, postJson, startServer, type ErrorBody } from '../helpers/server';
import { deleteAs, getAs, postAs, signIn, type SignedIn } from '../helpers/accounts';
import { shareByInvite, shareInviteToken } from '../helpers/programme';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const FILES = ['portfolio.json', 'portfolio.xlsx'] as const;

async function organisationOf(server: RunningServer, admin: SignedIn | null, name = 'Greenport programme'): Promise<CreateOrganisationResponse> {
  const response = admin
    ? await postAs<CreateOrganisationResponse>(server, admin, '/api/organisations', { name })
    : await postJson<CreateOrganisationResponse>(server.url, '/api/organisations', { name });
  expect(response.status, response.text).toBe(201);
  return response.body;
}

/** A community (with its key) that shares with the organisation: the view then counts it as waiting for sessions. */
async function sharing(server: RunningServer, organisationId: string, admin: SignedIn, owner: SignedIn | null = null): Promise<CreateCommunityResponse> {
  const created = owner
    ? await postAs<CreateCommunityResponse>(server, owner, '/api/communities', { name: 'Alpha LC' })
    : await postJson<CreateCommunityResponse>(server.url, '/api/communities', { name: 'Alpha LC' });
  expect(created.status).toBe(201);
  // The organisation's consent: its admin's share invitation, taken with the community's key.
  const invite = await shareInviteToken(server.url, organisationId, { headers: browser(server, admin) });
  const shared = await shareByInvite(server.url, created.body.id, created.body.communityToken, organisationId, invite);
  expect(shared.status, shared.text).toBe(200);
  return created.body;
}

async function inviteLead(server: RunningServer, admin: SignedIn, organisationId: string): Promise<string> {
  const response = await postAs<InviteCreated>(server, admin, `/api/organisations/${organisationId}/invites`);
  expect(response.status, response.text).toBe(201);
  return new URL(response.body.inviteUrl).hash.replace('#token=', '');
}

async function lead(server: RunningServer, admin: SignedIn, organisationId: string, name = 'Lea'): Promise<SignedIn> {
  const who = await signIn(server, name);
  const accepted = await postAs(server, who, '/api/invites/accept', { token: await inviteLead(server, admin, organisationId) });
  expect(accepted.status, accepted.text).toBe(200);
  expect(accepted.body).toEqual({ kind: 'organisation', id: organisationId });
  return who;
}

/** Status and error code of reading a programme file with these headers (and never the view itself). */
async function read(server: RunningServer, id: string, file: string, headers: Record<string, string>): Promise<[number, string | undefined]> {
  const response = await api<ErrorBody>(server.url, `/api/organisations/${id}/${file}`, { headers });
  if (response.status !== 200) expect(response.text).not.toContain('waiting');
  return [response.status, response.status === 200 ? undefined : response.body.error?.code];
}

const browser = (server: RunningServer, who: SignedIn, extra: Record<string, string> = {}) => ({
  cookie: who.cookie,
  origin: server.url,
  'sec-fetch-site': 'same-origin',
  ...extra
});

describe('organisations belong to accounts: admin and programme leads', () => {
  it('the creator is admin, a lead invited by link reads portfolio.json and the XLSX with the cookie, the key still works', async () => {
    const server = await startServer();
    const admin = await signIn(server, 'Ada');
    const organisation = await organisationOf(server, admin);
    await sharing(server, organisation.id, admin);

    const home = await getAs<AccountHomeView>(server, admin, '/api/me');
    expect(home.body.organisations).toEqual([{ id: organisation.id, name: 'Greenport programme', role: 'admin' }]);
    // The admin reads the view without the key.
    const own = await getAs<PortfolioView>(server, admin, `/api/organisations/${organisation.id}/portfolio.json`);
    expect(own.status, own.text).toBe(200);
    expect(own.body.waiting).toBe(1);

    const lea = await lead(server, admin, organisation.id);
    for (const file of FILES) expect(await read(server, organisation.id, file, browser(server, lea))).toEqual([200, undefined]);
    const xlsx = await fetch(`${server.url}/api/organisations/${organisation.id}/portfolio.xlsx`, { headers: browser(server, lea) });
    expect(xlsx.headers.get('content-type')).toContain('spreadsheetml');
    expect((await getAs<AccountHomeView>(server, lea, '/api/me')).body.organisations).toEqual([
      { id: organisation.id, name: 'Greenport programme', role: 'lead' }
    ]);
    // Link-based use as before.
    for (const file of FILES) expect(await read(server, organisation.id, file, bearer(organisation.organisationToken))).toEqual([200, undefined]);

    // A lead neither invites nor removes; the admin sees the leads.
    expect((await postAs(server, lea, `/api/organisations/${organisation.id}/invites`)).status).toBe(403);
    expect((await deleteAs(server, lea, `/api/organisations/${organisation.id}/leads/${admin.accountId}`)).status).toBe(403);
    const leads = await getAs<FacilitatorList>(server, admin, `/api/organisations/${organisation.id}/leads`);
    expect(leads.body.members.map((m) => [m.name, m.role])).toEqual([
      ['Ada', 'owner'],
      ['Lea', 'facilitator']
    ]);
  });

  it('an organisation created without an account has no admin: nobody invites, its key alone reads it', async () => {
    const server = await startServer();
    const stranger = await signIn(server, 'Sam');
    const organisation = await organisationOf(server, null);
    expect((await postAs(server, stranger, `/api/organisations/${organisation.id}/invites`)).status).toBe(403);
    expect((await getAs<AccountHomeView>(server, stranger, '/api/me')).body.organisations).toEqual([]);
    expect(await read(server, organisation.id, 'portfolio.json', bearer(organisation.organisationToken))).toEqual([200, undefined]);
  });
});

describe('attacks on the programme role', () => {
  it('attack: another account, no account, a community key and a community owner read nothing', async () => {
    const server = await startServer();
    const admin = await signIn(server, 'Ada');
    const stranger = await signIn(server, 'Sam');
    const communityOwner = await signIn(server, 'Olga');
    const organisation = await organisationOf(server, admin);
    const community = await sharing(server, organisation.id, admin, communityOwner);
    for (const file of FILES) {
      expect(await read(server, organisation.id, file, browser(server, stranger))).toEqual([403, 'forbidden']);
      expect(await read(server, organisation.id, file, {})).toEqual([401, 'unauthorized']);
      expect(await read(server, organisation.id, file, bearer(community.communityToken))).toEqual([403, 'forbidden']);
      // Owning a community that shares with the organisation makes nobody a programme lead.
      expect(await read(server, organisation.id, file, browser(server, communityOwner))).toEqual([403, 'forbidden']);
    }
  });

  it("attack: a lead's cookie sent by another site's page counts as no cookie", async () => {
    const server = await startServer();
    const admin = await signIn(server, 'Ada');
    const organisation = await organisationOf(server, admin);
    const lea = await lead(server, admin, organisation.id);
    for (const file of FILES) {
      expect(await read(server, organisation.id, file, browser(server, lea, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }))).toEqual([
        401,
        'unauthorized'
      ]);
      expect(await read(server, organisation.id, file, browser(server, lea, { origin: 'https://evil.example' }))).toEqual([401, 'unauthorized']);
      // A sibling subdomain shares the cookie but is not this site.
      expect(await read(server, organisation.id, file, { cookie: lea.cookie, 'sec-fetch-site': 'same-site' })).toEqual([401, 'unauthorized']);
    }
  });

  it('attack: a removed lead is refused from the next request on', async () => {
    const server = await startServer();
    const admin = await signIn(server, 'Ada');
    const organisation = await organisationOf(server, admin);
    const lea = await lead(server, admin, organisation.id);
    expect(await read(server, organisation.id, 'portfolio.json', browser(server, lea))).toEqual([200, undefined]);
    expect((await deleteAs(server, admin, `/api/organisations/${organisation.id}/leads/${lea.accountId}`)).status).toBe(204);
    for (const file of FILES) expect(await read(server, organisation.id, file, browser(server, lea))).toEqual([403, 'forbidden']);
    expect((await getAs<AccountHomeView>(server, lea, '/api/me')).body.organisations).toEqual([]);
    // The admin cannot be removed this way.
    expect((await deleteAs(server, admin, `/api/organisations/${organisation.id}/leads/${admin.accountId}`)).status).toBe(403);
  });

  it('attack: an invite for organisation A grants nothing on B, nor on a community sharing with A', async () => {
    const server = await startServer();
    const admin = await signIn(server, 'Ada');
    const a = await organisationOf(server, admin, 'Programme A');
    const b = await organisationOf(server, admin, 'Programme B');
    const community = await sharing(server, a.id, admin);
    const lea = await lead(server, admin, a.id);
    for (const file of FILES) {
      expect(await read(server, a.id, file, browser(server, lea))).toEqual([200, undefined]);
      expect(await read(server, b.id, file, browser(server, lea))).toEqual([403, 'forbidden']);
    }
    // Nothing of a shared community: its page, trend, sessions or shares.
    for (const path of ['', '/trends.json', '/shares']) expect((await getAs(server, lea, `/api/communities/${community.id}${path}`)).status).toBe(403);
    expect((await postAs(server, lea, '/api/sessions', { community: community.id })).status).toBe(403);
    // Nor does a lead invite into B or list its leads.
    expect((await postAs(server, lea, `/api/organisations/${b.id}/invites`)).status).toBe(403);
    expect((await getAs(server, lea, `/api/organisations/${b.id}/leads`)).status).toBe(403);
  });
});

const DOC = new URL('../../docs/authorization.md', import.meta.url);
const ROLES = [
  'admin (cookie)',
  'programme lead (cookie)',
  'removed lead',
  'lead of another organisation',
  'another account',
  'owner of a sharing community',
  'lead, cookie from another origin',
  'organisation key',
  'community key',
  'nothing'
] as const;

/** The rows of the markdown table between the markers: [endpoint, ...cells], without header and rule. */
function documentedRows(markdown: string): string[][] {
  return markdown
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .slice(2)
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim().replace(/`/g, ''))
    );
}

describe('the programme role in docs/authorization.md', () => {
  it('answers every cell of the documented table over a real server', async () => {
    const doc = await fs.readFile(DOC, 'utf8');
    const rows = documentedRows(doc.split('<!-- programme:start -->')[1].split('<!-- programme:end -->')[0]);
    expect(rows.length).toBe(13);
    expect(rows.map((r) => r.length)).toEqual(rows.map(() => 1 + ROLES.length));

    // Each removal cell makes an invitation of its own (a lead's or a community's): more than one address's budget.
    const server = await startServer({ codeGuessesPerMinute: 1000, signInsPerTenMinutes: 0 });
    const admin = await signIn(server, 'Ada');
    const organisation = await organisationOf(server, admin);
    const other = await organisationOf(server, admin, 'Another programme');
    const communityOwner = await signIn(server, 'Olga');
    const community = await sharing(server, organisation.id, admin, communityOwner);
    const lea = await lead(server, admin, organisation.id);
    const removed = await lead(server, admin, organisation.id, 'Rik');
    expect((await deleteAs(server, admin, `/api/organisations/${organisation.id}/leads/${removed.accountId}`)).status).toBe(204);
    const elsewhere = await lead(server, admin, other.id, 'Eli');
    const stranger = await signIn(server, 'Sam');
    const headers: Record<(typeof ROLES)[number], Record<string, string>> = {
      'admin (cookie)': browser(server, admin),
      'programme lead (cookie)': browser(server, lea),
      'removed lead': browser(server, removed),
      'lead of another organisation': browser(server, elsewhere),
      'another account': browser(server, stranger),
      'owner of a sharing community': browser(server, communityOwner),
      'lead, cookie from another origin': browser(server, lea, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }),
      'organisation key': bearer(organisation.organisationToken),
      'community key': bearer(community.communityToken),
      nothing: {}
    };

    const actual: string[][] = [];
    for (const [endpoint] of rows) {
      const cells = [endpoint];
      for (const role of ROLES) {
        const [method, template] = endpoint.split(' ');
        // Each removal names a fresh lead, so every cell starts from the same organisation.
        const victim = template.includes(':accountId') ? (await lead(server, admin, organisation.id, 'Victim')).accountId : '';
        // And each removal from the programme a freshly shared community.
        const shared = template.includes(':communityId') ? (await sharing(server, organisation.id, admin)).id : '';
        const path = template
          .replace('/organisations/:id', `/organisations/${organisation.id}`)
          .replace('/communities/:id', `/communities/${community.id}`)
          .replace(':organisation', organisation.id)
          .replace(':accountId', victim)
          .replace(':communityId', shared);
        const response = await api(server.url, path, {
          method,
          headers: method === 'GET' ? headers[role] : { 'content-type': 'application/json', ...headers[role] },
          body: method === 'GET' ? undefined : '{}'
        });
        cells.push(String(response.status));
      }
      actual.push(cells);
    }
    expect(actual).toEqual(rows);
  });
});
