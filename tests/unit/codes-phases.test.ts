import { randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { CODE_ALPHABET, CODE_LENGTH, formatCode, generateCode, normalizeCode } from '../../src/lib/domain/codes';
import { actionsEditable, canTransition, nextPhases, PHASES, resultsVisible, votingOpen, type Phase } from '../../src/lib/domain/phases';

describe('code alphabet', () => {
  it('has 31 unique characters without 0, O, 1, I, L', () => {
    expect(CODE_ALPHABET).toHaveLength(31);
    expect(new Set(CODE_ALPHABET).size).toBe(31);
    for (const c of '01OIL') expect(CODE_ALPHABET).not.toContain(c);
    expect(CODE_LENGTH).toBe(6);
  });
});

describe('normalizeCode', () => {
  it.each<[string, string | null]>([
    ['ABCDEF', 'ABCDEF'],
    ['abcdef', 'ABCDEF'],
    ['abc def', 'ABCDEF'],
    ['abc-def', 'ABCDEF'],
    ['ABC--DEF', 'ABCDEF'],
    ['  a b-c\td e f \n', 'ABCDEF'],
    ['x7k-9pq', 'X7K9PQ'],
    ['234 567', '234567'],
    ['', null],
    ['ABCDE', null],
    ['ABCDEFG', null],
    ['abc def g', null],
    ['ABCDE0', null],
    ['ABCDEO', null],
    ['abcdeo', null],
    ['ABCDE1', null],
    ['ABCDEI', null],
    ['abcdei', null],
    ['ABCDEL', null],
    ['abcdel', null],
    ['ABC_DE', null],
    ['ABC.DE', null],
    ['ABCDÉF', null],
    ['AB/DEF', null]
  ])('%j → %j', (input, expected) => {
    expect(normalizeCode(input)).toBe(expected);
  });
});

describe('formatCode', () => {
  it.each([
    ['ABCDEF', 'ABC DEF'],
    ['234567', '234 567']
  ])('%s → %s', (code, shown) => {
    expect(formatCode(code)).toBe(shown);
    expect(normalizeCode(shown)).toBe(code);
  });
});

/** A byte source that hands out the given chunks in turn. */
function chunks(...list: number[][]) {
  let i = 0;
  return vi.fn((n: number) => {
    const chunk = list[Math.min(i++, list.length - 1)];
    const bytes = new Uint8Array(n);
    bytes.set(chunk.slice(0, n));
    return bytes;
  });
}

describe('generateCode', () => {
  // limit = 256 − (256 mod 31) = 248; bytes 248..255 are rejected.
  it.each<{ name: string; bytes: number[][]; code: string; calls: number }>([
    { name: 'bytes 0..5 map to the first six characters', bytes: [[0, 1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0]], code: '234567', calls: 1 },
    { name: 'bytes wrap modulo 31', bytes: [[30, 31, 61, 62, 247, 100, 0, 0, 0, 0, 0, 0]], code: 'Z2Z2Z9', calls: 1 },
    { name: 'bytes ≥ 248 are skipped', bytes: [[248, 255, 250, 8, 9, 10, 249, 11, 12, 13, 0, 0]], code: 'ABCDEF', calls: 1 },
    {
      name: 'draws again when a whole chunk is rejected',
      bytes: [new Array(12).fill(248), [20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 0]],
      code: 'PQRSTU',
      calls: 2
    },
    {
      name: 'keeps what it has across draws',
      bytes: [
        [8, 9, 252, 252, 252, 252, 252, 252, 252, 252, 252, 252],
        [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]
      ],
      code: 'ABCDEF',
      calls: 2
    }
  ])('$name', ({ bytes, code, calls }) => {
    const source = chunks(...bytes);
    expect(generateCode(source)).toBe(code);
    expect(source).toHaveBeenCalledTimes(calls);
    expect(source).toHaveBeenCalledWith(12);
  });

  it('is deterministic for the same bytes', () => {
    const bytes = [99, 250, 17, 200, 3, 141, 77, 1, 2, 3, 4, 5];
    expect(generateCode(chunks(bytes))).toBe(generateCode(chunks(bytes)));
  });

  it('only uses alphabet characters and always gives a normalized code (real randomness)', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const code = generateCode((n) => new Uint8Array(randomBytes(n)));
      expect(code).toMatch(/^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}$/);
      expect(normalizeCode(code)).toBe(code);
      for (const c of code) seen.add(c);
    }
    // 1800 draws from 31 characters: every character shows up.
    expect(seen.size).toBe(31);
  });
});

describe('phase transitions', () => {
  const allowed: Record<Phase, Phase[]> = {
    lobby: ['voting', 'closed'],
    voting: ['revealed', 'closed'],
    revealed: ['voting', 'actions', 'closed'],
    actions: ['closed'],
    closed: []
  };
  const table = PHASES.flatMap((from) => PHASES.map((to) => ({ from, to, ok: allowed[from].includes(to) })));

  it('covers all 25 pairs', () => {
    expect(PHASES).toEqual(['lobby', 'voting', 'revealed', 'actions', 'closed']);
    expect(table).toHaveLength(25);
    expect(table.filter((t) => t.ok)).toHaveLength(8);
  });

  it.each(table)('$from → $to: $ok', ({ from, to, ok }) => {
    expect(canTransition(from, to)).toBe(ok);
  });

  it.each(PHASES.map((p) => [p]))('nextPhases(%s)', (from) => {
    expect([...nextPhases(from)].sort()).toEqual([...allowed[from]].sort());
  });

  it.each<[Phase, boolean, boolean, boolean]>([
    // phase, resultsVisible, actionsEditable, votingOpen
    ['lobby', false, false, false],
    ['voting', false, false, true],
    ['revealed', true, false, false],
    ['actions', true, true, false],
    ['closed', true, false, false]
  ])('%s: results %s, actions %s, voting %s', (phase, results, actions, voting) => {
    expect(resultsVisible(phase)).toBe(results);
    expect(actionsEditable(phase)).toBe(actions);
    expect(votingOpen(phase)).toBe(voting);
  });
});
