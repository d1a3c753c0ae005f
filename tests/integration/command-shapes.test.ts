/**
 * Hostile event names, payload counts and shapes on the one `onAny` listener that takes every command
 * (server/realtime/connection.ts; a helper's attack, which held): every acked message gets a typed Ack; nothing but the well-formed votes changes state; the bucket still
 * counts known names (with or without ack), and the server keeps serving.
 */
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type Ack } from '../../src/lib/protocol';
import { api, startServer } from '../helpers/server';
import { advance, setupSession } from '../helpers/session';

const typed = (ack: Ack<unknown>) => ack.ok === true || (ack.ok === false && (ERROR_CODES as readonly string[]).includes(ack.error.code));

describe('command shapes', () => {
  it('answers every hostile name and shape with a typed ack and changes only what valid votes change', async () => {
    const server = await startServer();
    const { facilitator, people } = await setupSession(server, { participants: 1 });
    await advance(facilitator, 'voting');
    const p = people[0].client;
    const acks: [string, Ack<unknown>][] = [];
    const send = async (label: string, name: string | number, ...args: unknown[]) => acks.push([label, await p.sendRaw(name as string, ...args)]);

    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'error', 'state', 'vote ', 'VOTE', '']) {
      await send(`name ${JSON.stringify(name)}`, name, { factor: 1, answer: 3 });
    }
    await send('number name', 42, { factor: 1, answer: 3 });
    await send('zero payloads', 'vote');
    await send('two payloads', 'vote', { factor: 1, answer: 3 }, { factor: 2, answer: 3 });
    await send('buffer payload', 'vote', Buffer.from('{"factor":1,"answer":3}'));
    await send('buffer answer', 'vote', { factor: 1, answer: Buffer.from([3]) });
    await send('buffer factor', 'vote', { factor: Buffer.from([1]), answer: 3 });
    await send('buffer + vote', 'vote', { factor: 1, answer: 3 }, Buffer.from([1]));
    await send('placeholder spoof', 'vote', { factor: 1, answer: { _placeholder: true, num: 0 } });
    await send('own __proto__', 'vote', JSON.parse('{"factor":1,"answer":3,"__proto__":{"round":1}}'));
    await send('constructor key', 'vote', JSON.parse('{"factor":1,"answer":3,"constructor":{"prototype":{"x":1}}}'));
    await send(
      'huge array',
      'vote',
      Array.from({ length: 5000 }, () => 0)
    );
    await send('array payload', 'vote', [1, 3]);
    await send('answer 0', 'vote', { factor: 1, answer: 0 });
    await send('answer "3"', 'vote', { factor: 1, answer: '3' });
    await send('factor 1.0e0 string', 'vote', { factor: '1', answer: 3 });
    await send('round 0', 'vote', { factor: 1, answer: 3, round: 0 });
    await send('comment false', 'vote', { factor: 1, answer: 3, comment: false });

    for (const [label, ack] of acks) expect(typed(ack), `${label}: ${JSON.stringify(ack)}`).toBe(true);
    const accepted = acks.filter(([, ack]) => ack.ok).map(([label]) => label);
    expect(accepted).toEqual([]);
    expect(Object.prototype).not.toHaveProperty('round');
    expect(Object.prototype).not.toHaveProperty('x');

    // No ack: still counted by the bucket (burst 60), never answered; the next acked one is refused rate_limited.
    for (let i = 0; i < 80; i++) p.emitNoAck('vote', { factor: 1, answer: 3 });
    const limited = await p.sendRaw('vote', { factor: 1, answer: 3 });
    expect(limited).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    // Names the protocol does not know are counted too: a flood of them is refused like any other. (Counted over
    // many: the bucket refills 20 a second, so on a busy machine a few of them find a token again.)
    const flood = await Promise.all(Array.from({ length: 100 }, () => p.sendRaw('no-such-command', {})));
    expect(flood.filter((ack) => !ack.ok && ack.error.code === 'rate_limited').length).toBeGreaterThan(30);
    expect(flood.every((ack) => !ack.ok && ['rate_limited', 'bad_request'].includes(ack.error.code))).toBe(true);

    const { progress } = await facilitator.state();
    expect(progress.perFactor[0]).toBe(1);
    expect(progress.perFactor[1]).toBe(0);
    expect((await api(server.url, '/healthz')).status).toBe(200);
  });
});
