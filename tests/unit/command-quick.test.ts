import { describe, expect, it } from 'vitest';
import { COMMANDS, COMMAND_NAMES } from '../../src/lib/protocol/commands';
import { parseCommand } from '../../server/sessions/commands';

/**
 * A command's quick check (the everyday vote, recognised without zod) may only short-cut its schema: whatever it
 * accepts, the schema accepts too, with the same output. Checked over every combination of the vote's keys with
 * values at and around every bound, of every JSON type, plus keys the schema does not know.
 */
const VALUES: unknown[] = [
  undefined,
  null,
  0,
  -0,
  1,
  2,
  5,
  6,
  1.5,
  39,
  40,
  41,
  9_999,
  10_000,
  10_001,
  -1,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  2 ** 53,
  '1',
  '',
  'unknown',
  'Unknown',
  ' x ',
  'a\r\nb',
  true,
  false,
  [],
  [1],
  {},
  { factor: 1 }
];
const KEYS = ['factor', 'answer', 'round', 'comment'] as const;

/** Every payload of the four keys, each absent or one of a handful of values (a seeded walk, bounded). */
function* payloads(): Generator<unknown> {
  let seed = 7;
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
  for (let i = 0; i < 20_000; i++) {
    const payload: Record<string, unknown> = {};
    for (const key of KEYS) {
      const value = VALUES[next() % VALUES.length];
      if (value !== undefined || next() % 2 === 0) payload[key] = value;
    }
    yield payload;
  }
  // The everyday forms, exhaustively.
  for (let factor = 0; factor <= 41; factor++)
    for (const answer of [0, 1, 2, 3, 4, 5, 6, 'unknown', '3'])
      for (const round of [undefined, 0, 1, 10_000, 10_001]) for (const comment of [undefined, null, '', 'ok']) yield { factor, answer, round, comment };
  // Not plain objects, or with keys beyond the schema's.
  yield null;
  yield 3;
  yield 'vote';
  yield [1, 3];
  yield Object.assign(Object.create(null), { factor: 1, answer: 3 });
  yield JSON.parse('{"factor":1,"answer":3,"__proto__":{"x":1}}');
  yield { factor: 1, answer: 3, extra: 1 };
  yield { factor: 1, answer: 3, constructor: 1 };
  yield new (class Vote {
    factor = 1;
    answer = 3;
  })();
}

describe('quick checks of commands', () => {
  const quick = COMMANDS.vote.quick;

  it('accept only what the schema accepts, with the same output', () => {
    let accepted = 0;
    for (const payload of payloads()) {
      if (!quick(payload)) continue;
      accepted++;
      const parsed = COMMANDS.vote.schema.safeParse(payload);
      expect(parsed.success, JSON.stringify(payload)).toBe(true);
      expect(parseCommand('vote', payload).payload, JSON.stringify(payload)).toEqual(parsed.data);
    }
    // Not vacuous: the everyday forms do go the quick way.
    expect(accepted).toBeGreaterThan(500);
  });

  it('recognise the everyday vote, and leave comments and mistakes to the schema', () => {
    expect(quick({ factor: 1, answer: 3, round: 1 })).toBe(true);
    expect(quick({ factor: 12, answer: 'unknown' })).toBe(true);
    expect(quick({ factor: 12, answer: 5, round: 2, comment: null })).toBe(true);
    // A comment is cleaned and counted by the schema; a refusal needs its messages.
    expect(quick({ factor: 1, answer: 3, comment: 'Good' })).toBe(false);
    expect(quick({ factor: 41, answer: 3 })).toBe(false);
    expect(() => parseCommand('vote', { factor: 41, answer: 3 })).toThrow(/not valid/);
    expect(parseCommand('vote', { factor: 1, answer: 3, comment: ' a\r\nb ' }).payload).toEqual({ factor: 1, answer: 3, comment: ' a\nb ' });
  });

  it('exist only where they are declared (each is held to its schema here)', () => {
    expect(COMMAND_NAMES.filter((name) => 'quick' in COMMANDS[name])).toEqual(['vote']);
  });
});
