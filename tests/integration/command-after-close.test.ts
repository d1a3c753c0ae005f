/**
 * A command decoded in the same engine.io polling body as the transport's close packet: engine.io decodes the
 * socket.io EVENT (socket.io hands it to its listeners a tick later), then the close packet closes the socket at
 * once ('disconnect' runs). socket.io calls `onAny` listeners without asking whether the connection is still
 * open, and every command comes through one `onAny` listener (server/realtime/connection.ts): the command must not
 * run on a connection that has already said goodbye (a helper found it did, once, after that listener came in).
 */
import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '../../src/lib/protocol';
import { joinSession, startServer } from '../helpers/server';
import { advance, setupSession } from '../helpers/session';

const SEPARATOR = '\x1e';

/** A socket.io connection over raw engine.io polling, served (its snapshot came). */
async function pollingConnection(url: string, auth: Record<string, unknown>) {
  const base = `${url}/socket.io/?EIO=4&transport=polling`;
  const headers = { origin: url };
  const opened = await (await fetch(base, { headers })).text();
  const sid = (JSON.parse(opened.slice(1)) as { sid: string }).sid;
  const at = `${base}&sid=${sid}`;
  const post = async (body: string) => {
    const response = await fetch(at, { method: 'POST', headers: { ...headers, 'content-type': 'text/plain;charset=UTF-8' }, body });
    return `${response.status} ${await response.text()}`;
  };
  const received: string[] = [];
  const poll = async () => received.push(...(await (await fetch(at, { headers })).text()).split(SEPARATOR));
  expect(await post(`40${JSON.stringify(auth)}`)).toBe('200 ok');
  for (let i = 0; i < 20 && !received.some((p) => p.startsWith('42["state"')); i++) await poll();
  expect(received.some((p) => p.startsWith('42["state"'))).toBe(true);
  return { post };
}

describe('a command after its connection closed', () => {
  it('is not run when the close packet came in the same polling body', async () => {
    const server = await startServer();
    const { code, facilitator, people } = await setupSession(server, { participants: 1 });
    await advance(facilitator, 'voting');
    const joined = await joinSession(server.url, code, { name: 'Raw' });
    const raw = await pollingConnection(server.url, { code, token: joined.participantToken, protocolVersion: PROTOCOL_VERSION });

    // The vote, then the transport's close, in one body.
    expect(await raw.post(`421["vote",{"factor":1,"answer":4}]${SEPARATOR}1`)).toBe('200 ok');
    // A vote on a live connection after it: writes commit and settle in call order, so once this one is
    // acknowledged, a vote run from the body before it would have been stored and counted.
    expect((await people[0].client.send('vote', { factor: 2, answer: 3 })).ok).toBe(true);
    const { progress } = await facilitator.state();
    expect(progress.perFactor[1]).toBe(1);
    expect(progress.perFactor[0]).toBe(0);
  });
});
