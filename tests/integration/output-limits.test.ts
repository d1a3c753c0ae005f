/**
 * No output costs more than the limits allow (issue 20): every text a client
 * writes is bounded in UTF-16 code units as well as in graphemes, and every
 * export, snapshot and copy cuts what it reads, so a text stored before the
 * unit bound (written here straight into the store, as an old database would
 * hold it) cannot make an export, a review list or a calendar cost more.
 * Real server on 127.0.0.1, real socket.io and Yjs clients, real SQLite.
 * Bounds are asserted by what was refused or cut (lengths, sizes), never by a time.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import JSZip from 'jszip';
import { SaxesParser } from 'saxes';
import { textOf } from '../../src/lib/board/actions';
import type { ExportJson } from '../../src/lib/domain/export';
import { LIMITS, YJS_CLOSE, YJS_TEXTS, type CreateCommunityResponse } from '../../src/lib/protocol';
import type { RunningServer } from '../../server/app';
import { addPoint, storedText } from '../helpers/board';
import { connectYjs, RawYjs, waitFor } from '../helpers/clients';
import { api, getExport, makeDataDir, postJson, startServer } from '../helpers/server';
import { advance, castBallot, setupSession, type TestSession } from '../helpers/session';

const RELAXED = { yjsMessagesPerSecond: 1e6, yjsBurst: 1e6 };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
/** One letter under `n` combining acute accents: one grapheme, n + 1 code units. */
const marks = (n: number) => `a${'\u0301'.repeat(n)}`;
/** What an old database may hold: a text far over the unit bound that counts as 50 graphemes. */
const OVERLONG = `${'b'.repeat(49)}${marks(30_000)}`;
/** What is left of it after 'Plan' once cut to the unit bound, at a grapheme boundary (the letter under its marks goes whole). */
const CUT = `Plan${'b'.repeat(49)}`;

async function servedDoc(server: RunningServer, code: string) {
  const live = (await server.realtime.registry.get(code))!;
  return { live, doc: await live.doc() };
}

/** An update made on a copy of the server's document (so it refers to the server's items). */
function updateOn(served: Y.Doc, change: (doc: Y.Doc) => void): Uint8Array {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(served));
  const updates: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => updates.push(u));
  doc.transact(() => change(doc));
  return Y.mergeUpdates(updates);
}

/** Sends one update over a fresh raw socket and returns how the server closed it. */
async function sendRefused(server: RunningServer, code: string, token: string, update: Uint8Array): Promise<{ code: number; reason: string }> {
  const raw = await RawYjs.open(server.url, code, token);
  let reason = '';
  raw.ws.on('close', (_code, why) => (reason = why.toString()));
  raw.sendUpdate(update);
  return { code: await raw.waitForClose(), reason };
}

/** An action point made by the facilitator, with a due date when given. */
async function duePoint(session: TestSession, due: string | null): Promise<string> {
  const id = await addPoint(session.facilitator, 1, 'Plan');
  if (due) expect((await session.facilitator.send('action:update', { actionId: id, due })).ok).toBe(true);
  return id;
}

/**
 * Writes `text` into the stored text of point `id` behind the server's back (the live room does not
 * see it): what a database written before the unit bound holds.
 */
async function storeOverlong(server: RunningServer, code: string, id: string, text: string): Promise<void> {
  const { live, doc } = await servedDoc(server, code);
  await server.store.appendYjsUpdate(
    live.room.record.id,
    updateOn(doc.doc, (d) => (d.getMap(YJS_TEXTS).get(id) as Y.Text).insert(4, text))
  );
}

/** Every XML part of an xlsx through a strict parser (XML 1.0 well-formedness, valid UTF-8); answers the parts' errors. */
async function strictXmlErrors(xlsx: ArrayBuffer): Promise<string[]> {
  const zip = await JSZip.loadAsync(xlsx);
  const errors: string[] = [];
  const parts = Object.values(zip.files).filter((f) => !f.dir && /\.(xml|rels)$/.test(f.name));
  expect(parts.length).toBeGreaterThan(3);
  for (const part of parts) {
    const bytes = await part.async('uint8array');
    let xml: string;
    try {
      xml = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      errors.push(`${part.name}: not UTF-8`);
      continue;
    }
    const parser = new SaxesParser();
    parser.on('error', (error) => errors.push(`${part.name}: ${error.message}`));
    parser.write(xml).close();
  }
  return errors;
}

/** The texts of all shared strings of an xlsx (what its cells hold). */
async function sharedStrings(xlsx: ArrayBuffer): Promise<string[]> {
  const zip = await JSZip.loadAsync(xlsx);
  const xml = (await zip.file('xl/sharedStrings.xml')?.async('string')) ?? '';
  const out: string[] = [];
  let current: string | null = null;
  const parser = new SaxesParser();
  parser.on('opentag', (tag) => {
    if (tag.name === 'si') current = '';
  });
  parser.on('text', (t) => {
    if (current !== null) current += t;
  });
  parser.on('closetag', (tag) => {
    if (tag.name === 'si' && current !== null) {
      out.push(current);
      current = null;
    }
  });
  parser.write(xml).close();
  return out;
}

describe('limits in the unit that costs', () => {
  it('refuses an action text of one letter under 20,000 combining marks (one grapheme) at the Yjs gate, typed; nothing is stored', async () => {
    const server = await startServer({ limits: RELAXED });
    const session = await setupSession(server, { participants: 1 });
    await advance(session.facilitator, 'voting', 'revealed', 'actions');
    const token = session.people[0].joined.participantToken;
    const id = await addPoint(session.people[0].client, 1);
    expect((await session.people[0].client.send('action:update', { actionId: id, due: '2027-01-15' })).ok).toBe(true);
    const { doc } = await servedDoc(server, session.code);

    for (const text of [marks(20_000), marks(LIMITS.actionTextUnits)]) {
      const update = updateOn(doc.doc, (d) => (d.getMap(YJS_TEXTS).get(id) as Y.Text).insert(0, text));
      expect(await sendRefused(server, session.code, token, update)).toEqual({ code: YJS_CLOSE.refused, reason: 'refused: text_too_long' });
    }
    expect(storedText(doc, id)).toBe('');

    // Typed a few hundred marks at a time: stored up to the unit bound, then refused; never more.
    const writer = await connectYjs(server.url, session.code, token);
    const closed = new Promise<{ code: number; reason: string }>((resolve) => writer.provider.once('closed', (event) => resolve(event)));
    const text = await waitFor(() => textOf(writer.doc, id), { message: 'text synced' });
    text.insert(0, 'a');
    for (let i = 0; i < 100 && writer.provider.wsconnected; i++) {
      text.insert(text.length, '\u0301'.repeat(500));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await closed).toEqual({ code: YJS_CLOSE.refused, reason: 'refused: text_too_long' });
    const stored = storedText(doc, id);
    expect(stored.length).toBeLessThanOrEqual(LIMITS.actionTextUnits);
    expect(stored.length).toBeGreaterThan(LIMITS.actionTextUnits - 500);

    // The starting text of action:create and a comment are bounded in code units too.
    const created = await session.people[0].client.send('action:create', { actionId: 'mark-attack-1', factor: 1, text: marks(LIMITS.actionTextUnits) });
    expect(created.ok ? 'ok' : created.error.code).toBe('bad_request');
    expect((await session.facilitator.state()).actions.map((a) => a.id)).not.toContain('mark-attack-1');
  });

  it('refuses a comment, a name and a title of one grapheme over their unit bound (REST and socket.io)', async () => {
    const server = await startServer();
    const session = await setupSession(server, { participants: 1 });
    await advance(session.facilitator, 'voting');
    const vote = await session.people[0].client.send('vote', { factor: 1, answer: 3, comment: marks(LIMITS.commentUnits) });
    expect(vote.ok ? 'ok' : vote.error.code).toBe('bad_request');
    const name = await postJson(server.url, `/api/sessions/${session.code}/participants`, { name: marks(LIMITS.nameUnits) });
    expect(name.status).toBe(400);
    const title = await postJson(server.url, '/api/sessions', { title: marks(LIMITS.titleUnits) });
    expect(title.status).toBe(400);
    // Just within both bounds is accepted.
    expect((await session.people[0].client.send('vote', { factor: 1, answer: 3, comment: marks(LIMITS.commentUnits - 1) })).ok).toBe(true);
  });
});

describe('every output bounded by the limits, whatever is stored', () => {
  it('a text stored over the limits (an old database) gives bounded json, csv, md, xlsx and ics, and the server keeps answering', async () => {
    const dataDir = await makeDataDir();
    const server = await startServer({ dataDir, limits: RELAXED });
    const session = await setupSession(server, { participants: 1 });
    await advance(session.facilitator, 'voting', 'revealed', 'actions');
    const id = await duePoint(session, '2027-01-15');
    await storeOverlong(server, session.code, id, OVERLONG);
    session.facilitator.close();
    session.people[0].client.close();
    await server.close();

    const again = await startServer({ dataDir, limits: RELAXED });
    const token = session.created.facilitatorToken;
    const auth = { headers: bearer(token) };
    const base = `/api/sessions/${session.code}`;
    // The calendar is asked for together with /healthz: both answer.
    const [ics, health] = await Promise.all([api<string>(again.url, `${base}/actions.ics`, auth), api(again.url, '/healthz')]);
    expect([ics.status, health.status]).toEqual([200, 200]);
    expect(ics.text.length).toBeLessThan(3 * LIMITS.actionTextUnits);
    for (const line of ics.text.split('\r\n')) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(75);

    const json = await getExport<ExportJson>(again.url, session.code, token);
    const text = json.body.actions.find((a) => a.text.startsWith('Plan'))?.text ?? '';
    expect(text.length).toBeLessThanOrEqual(LIMITS.actionTextUnits);
    expect(text).toBe(CUT);
    const csv = await api<string>(again.url, `${base}/export.csv?table=actions`, auth);
    expect(csv.text.length).toBeLessThan(LIMITS.actionTextUnits + 500);
    const md = await api<string>(again.url, `${base}/export.md`, auth);
    expect(md.text.length).toBeLessThan(LIMITS.actionTextUnits + 5000);
    const xlsx = await (await fetch(`${again.url}${base}/export.xlsx`, auth)).arrayBuffer();
    expect(Math.max(...(await sharedStrings(xlsx)).map((s) => s.length))).toBeLessThanOrEqual(LIMITS.actionTextUnits);

    // The board itself was cut when it loaded (and the cut stored), so a sync no longer carries the text either.
    const { doc } = await servedDoc(again, session.code);
    expect(storedText(doc, id)).toBe(CUT);
    expect(Y.encodeStateAsUpdate(doc.doc).length).toBeLessThan(100_000);
  });

  it('hostile characters in every text give an xlsx whose every XML part a strict parser accepts; a 40,000-unit cell is cut to 32,767 with "…"', async () => {
    const server = await startServer({ limits: RELAXED });
    const hostile = 'A\u0001B\u0008C\u001bD\ufffeE\uffffF\ud800G\udc00H';
    const session = await setupSession(server, { create: { title: `Title ${hostile}` }, join: [{ name: `Ann ${hostile}` }, { name: 'Bob' }] });
    await advance(session.facilitator, 'voting');
    for (const person of session.people) await castBallot(person.client, { 1: 2, 2: 4 }, `Comment ${hostile}`);
    await advance(session.facilitator, 'revealed', 'actions');
    const client = session.people[0].client;
    const id = await addPoint(client, 1);
    expect((await client.send('action:update', { actionId: id, owner: `Owner ${hostile}`, due: '2027-01-15' })).ok).toBe(true);
    const writer = await connectYjs(server.url, session.code, session.people[0].joined.participantToken);
    const text = await waitFor(() => textOf(writer.doc, id), { message: 'text synced' });
    text.insert(0, `Text ${hostile}`);
    const { doc } = await servedDoc(server, session.code);
    await waitFor(() => storedText(doc, id).startsWith('Text'), { message: 'text stored' });

    // Five points of 2,000 flags (8,000 code units each, within both bounds) merged into one: 40,000 units in one cell.
    const flags = '🇳🇱'.repeat(LIMITS.actionTextMax);
    const parts: string[] = [];
    for (let i = 0; i < 5; i++) parts.push(await addPoint(session.facilitator, 2, flags));
    for (const part of parts.slice(1)) expect((await session.facilitator.send('action:merge', { sourceId: part, targetId: parts[0] })).ok).toBe(true);

    const auth = { headers: bearer(session.created.facilitatorToken) };
    const xlsx = await (await fetch(`${server.url}/api/sessions/${session.code}/export.xlsx`, auth)).arrayBuffer();
    expect(await strictXmlErrors(xlsx)).toEqual([]);
    const strings = await sharedStrings(xlsx);
    const longest = strings.reduce((a, b) => (b.length > a.length ? b : a), '');
    expect(longest.length).toBeLessThanOrEqual(32_767);
    expect(longest.length).toBeGreaterThan(32_000);
    expect(longest.endsWith('…')).toBe(true);
    // The hostile texts are there, without what XML forbids.
    expect(strings.some((t) => t.startsWith('Text A') && t.endsWith('H'))).toBe(true);
    expect(strings.some((t) => t.startsWith('Owner A') && t.endsWith('H'))).toBe(true);
  });
});

describe('communities: copies and community outputs bounded', () => {
  async function community(server: RunningServer, name = 'Greenport'): Promise<CreateCommunityResponse> {
    const created = await postJson<CreateCommunityResponse>(server.url, '/api/communities', { name, language: 'en' });
    expect(created.status, created.text).toBe(201);
    return created.body;
  }
  const sessionOf = (server: RunningServer, c: CreateCommunityResponse) =>
    setupSession(server, { create: { community: c.id, title: 'Meeting' }, createHeaders: bearer(c.communityToken) });

  it('a carried-over review item over the limits is cut in the review list, in the copy and in the community calendar', async () => {
    const server = await startServer({ limits: RELAXED });
    const c = await community(server, 'Green;port, \\LC');
    const first = await sessionOf(server, c);
    await advance(first.facilitator, 'voting', 'revealed', 'actions');
    const id = await duePoint(first, '2027-01-15');
    await advance(first.facilitator, 'closed');
    await storeOverlong(server, first.code, id, OVERLONG);

    const second = await sessionOf(server, c);
    const item = second.facilitator.snapshot.review!.find((i) => i.text.startsWith('Plan'))!;
    expect(item.text.length).toBeLessThanOrEqual(LIMITS.actionTextUnits);
    expect(item.text).toBe(CUT);
    const state = await second.facilitator.state();
    expect(JSON.stringify(state).length).toBeLessThan(LIMITS.actionTextUnits * 3);

    expect((await second.facilitator.send('review:set', { key: item.key, status: 'carried' })).ok).toBe(true);
    const copyId = (await second.facilitator.state()).actions.find((a) => a.origin === item.key)!.id;
    const { doc } = await servedDoc(server, second.code);
    expect(storedText(doc, copyId).length).toBeLessThanOrEqual(LIMITS.actionTextUnits);
    expect(storedText(doc, copyId)).toBe(CUT);

    const ics = await api<string>(server.url, `/api/communities/${c.id}/actions.ics`, { headers: bearer(c.communityToken) });
    expect(ics.status).toBe(200);
    expect(ics.text.length).toBeLessThan(4 * LIMITS.actionTextUnits);
    for (const line of ics.text.split('\r\n')) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(75);
    // The calendar's name is escaped as RFC 5545 TEXT: ; , and \ are no longer taken for separators.
    expect(ics.text).toContain('X-WR-CALNAME:Green\\;port\\, \\\\LC\r\n');
  });

  it('the community exports: imported sessions are labelled imported; hostile titles give a strict-XML workbook', async () => {
    const server = await startServer();
    const c = await community(server, 'Green\ufffeport\ud800');
    const auth = { headers: bearer(c.communityToken) };
    const paper = await postJson(
      server.url,
      `/api/communities/${c.id}/paper-sessions`,
      {
        title: 'Paper \ufffe\ud800\udc00x',
        date: '2026-03-01',
        factors: [{ number: 1, distribution: { '1': 1, '2': 2, '3': 3, '4': 0, '5': 0 }, unknown: 0 }]
      },
      bearer(c.communityToken)
    );
    expect(paper.status, paper.text).toBe(201);
    const exported = {
      session: { title: 'Held elsewhere', createdAt: '2026-04-01T10:00:00.000Z' },
      factors: [{ number: 1, distribution: { '1': 0, '2': 1, '3': 2, '4': 3, '5': 0 }, unknown: 0 }]
    };
    expect((await postJson(server.url, `/api/communities/${c.id}/imports`, exported, bearer(c.communityToken))).status).toBe(201);

    const md = await api<string>(server.url, `/api/communities/${c.id}/export.md`, auth);
    const row = md.text.split('\n').find((l) => l.includes('Held elsewhere'))!;
    expect(row).toContain('| imported |');
    expect(md.text.split('\n').find((l) => l.includes('Paper'))).toContain('| paper |');

    const xlsx = await (await fetch(`${server.url}/api/communities/${c.id}/export.xlsx`, auth)).arrayBuffer();
    expect(await strictXmlErrors(xlsx)).toEqual([]);
  });
});
