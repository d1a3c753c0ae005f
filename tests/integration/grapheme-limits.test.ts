/**
 * Every limited field counts what people see as one character (a grapheme):
 * at the limit an emoji, a flag or a ZWJ family is kept whole, one more is
 * refused, and nothing is ever cut inside a character (issue 10, item 3).
 * Action text and comments have their own tests (board-attacks, comments).
 */
import { describe, expect, it } from 'vitest';
import { LIMITS, type CreateSessionResponse, type JoinSessionResponse } from '../../src/lib/protocol';
import { addPoint } from '../helpers/board';
import { api, postJson, startServer, type ErrorBody } from '../helpers/server';
import { advance, setupSession } from '../helpers/session';

/** A family (5 code points, 8 UTF-16 units) and a flag (2 code points): one character each. */
const FAMILY = '👨‍👩‍👧';
const FLAG = '🇳🇱';
const atLimit = (max: number) => `${'a'.repeat(max - 2)}${FAMILY}${FLAG}`;

describe('limits in graphemes', () => {
  it('keeps a session title, a display name and an owner whole at the limit and refuses one character more', async () => {
    const server = await startServer();
    const title = atLimit(LIMITS.titleMax);
    const created = await postJson<CreateSessionResponse>(server.url, '/api/sessions', { title });
    expect(created.status).toBe(201);
    const over = await postJson<ErrorBody>(server.url, '/api/sessions', { title: `${title}x` });
    expect([over.status, over.body.error.code]).toEqual([400, 'bad_request']);

    expect((await api<{ title: string }>(server.url, `/api/sessions/${created.body.code}`)).body.title).toBe(title);

    const session = await setupSession(server, { participants: 1 });
    const name = atLimit(LIMITS.nameMax);
    const joined = await postJson<JoinSessionResponse>(server.url, `/api/sessions/${session.code}/participants`, { name });
    expect([joined.status, joined.body.name]).toEqual([201, name]);
    const tooLong = await postJson<ErrorBody>(server.url, `/api/sessions/${session.code}/participants`, { name: `${FLAG}${name}` });
    expect([tooLong.status, tooLong.body.error.code]).toEqual([400, 'bad_request']);

    await advance(session.facilitator, 'voting', 'revealed', 'actions');
    const id = await addPoint(session.people[0].client, 2, 'Site visits');
    const owner = atLimit(LIMITS.ownerMax);
    const updated = await session.people[0].client.send('action:update', { actionId: id, owner });
    expect(updated.ok && updated.data.owner).toBe(owner);
    const refused = await session.people[0].client.send('action:update', { actionId: id, owner: `${owner}${FAMILY}` });
    expect(refused.ok ? 'ok' : refused.error.code).toBe('bad_request');
    expect((await session.facilitator.state()).actions.find((a) => a.id === id)?.owner).toBe(owner);
  });
});
