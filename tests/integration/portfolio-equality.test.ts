/**
 * The programme view's faster path (issue 25: figures parsed once per community and version, quarters from Intl only
 * at their edges, factors walked once) answers exactly what the computation before it answered: the same JSON, on a
 * seeded programme with rounds revealed around quarter edges in zones with summer time, half-hour and 13-hour
 * offsets, withheld rounds, named sessions (no k), factors below k, a check-in continued by a meeting, and several
 * settings (minimum sessions, communities, voters). The reference is the old code (tests/helpers/portfolio-reference.ts)
 * fed from each session's full frozen results, not from the narrow figures the store keeps for the view. Real SQLite
 * file and real PostgreSQL.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadFrameworks } from '../../server/content';
import { OrganisationService } from '../../server/organisations/portfolio';
import { PostgresStore } from '../../server/store/postgres';
import { SqliteStore } from '../../server/store/sqlite';
import type { Store } from '../../server/store/types';
import { quarterOf, quarterOnClocks, type FrozenRoundFigures, type PortfolioSettings } from '../../src/lib/domain/portfolio';
import { makeDatabase, pgAdminUrl } from '../helpers/pg-test';
import { referencePortfolio } from '../helpers/portfolio-reference';
import { makeDataDir } from '../helpers/server';
import { communityRecord, sessionRecord } from '../helpers/store-contract';

const frameworks = loadFrameworks(fileURLToPath(new URL('../../content', import.meta.url)));
const FACTORS = 12;
const ZONES = ['Europe/Amsterdam', 'America/Santiago', 'Pacific/Chatham', 'Asia/Kathmandu', 'Pacific/Kiritimati', 'America/St_Johns', 'UTC'];
const SETTINGS: PortfolioSettings[] = [
  { minSessions: 2, minCommunities: 3, minVoters: 3 },
  { minSessions: 3, minCommunities: 2, minVoters: 5 },
  { minSessions: 1, minCommunities: 4, minVoters: 1 }
];
const HOUR = 3_600_000;

/** A small deterministic generator (mulberry32): the same programme on every run and every database. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Seeded {
  /** Per community, its sessions that count for the view (a check-in continued by a meeting does not), in order. */
  sessions: Map<string, string[]>;
  names: Map<string, string>;
}

/** Seeds 40 communities of up to 9 sessions (1–2 rounds each) into the store, all shared with every organisation. */
async function seed(store: Store): Promise<Seeded> {
  const next = random(25);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)];
  for (const [i, zone] of ZONES.entries())
    await store.createOrganisation({ id: `o${i}`, name: `Programme ${i}`, timeZone: zone, tokenHash: `h${i}`, createdAt: 1 });
  const sessions = new Map<string, string[]>();
  const names = new Map<string, string>();
  for (let c = 0; c < 40; c++) {
    const id = `c${String(c).padStart(2, '0')}`;
    // Names that tie and differ only in case or accents: the view sorts them by the English collation, then by id.
    const name = pick(['Kas', 'kas', 'Kás', 'Zeeland', 'Älmhult', 'Delft', `Community ${c}`]);
    names.set(id, name);
    await store.createCommunity(communityRecord(id, { name }));
    const counted: string[] = [];
    const count = Math.floor(next() * 10);
    for (let s = 0; s < count; s++) {
      const sessionId = `${id}-s${s}`;
      await store.createSession(sessionRecord(sessionId, { communityId: id, createdAt: s + 1 }));
      const rounds = 1 + Math.floor(next() * 2);
      for (let round = 1; round <= rounds; round++) {
        // Half of the reveals within a day and a half of a quarter's edge (UTC midnight of Jan/Apr/Jul/Oct 1), the rest anywhere.
        const year = 2019 + Math.floor(next() * 8);
        const edge = Date.UTC(year, pick([0, 3, 6, 9]), 1);
        const revealedAt = next() < 0.5 ? edge + Math.round((next() - 0.5) * 36 * HOUR) : edge + Math.round(next() * 80 * 24 * HOUR);
        const voters = 1 + Math.floor(next() * 9);
        const minVoters = pick([null, 1, 3, 5]);
        const withheld = minVoters !== null && voters < minVoters ? 'too_few_voters' : next() < 0.05 ? 'too_few_voters' : null;
        const factors = Array.from({ length: FACTORS }, (_, f) => {
          const n = Math.floor(next() * (voters + 1));
          const mean = withheld || n === 0 || next() < 0.05 ? null : 1 + Math.round(next() * 400) / 100;
          return {
            number: f + 1,
            n,
            unknown: voters - n,
            mean,
            median: mean,
            stddev: mean === null ? null : next(),
            consensus: mean === null ? null : Math.round(next() * 1000) / 1000,
            distribution: null,
            weak: false,
            divergent: false,
            unclear: false
          };
        });
        const results = {
          round,
          voters,
          minVoters,
          withheld,
          factors,
          attention: [],
          groups: [],
          comments: [['never read by the view']],
          named: null
        } as never;
        await store.saveRevealedRound({ sessionId, round, revealedAt, results, ballots: [] });
      }
      counted.push(sessionId);
    }
    // Some communities continue their last session (a check-in) with a meeting: the check-in stops counting; the meeting
    // counts once it has revealed its own round.
    if (count > 0 && next() < 0.3) {
      const checkin = counted.pop()!;
      const meeting = `${id}-meeting`;
      await store.createSession(sessionRecord(meeting, { communityId: id, createdAt: 100, seededFrom: checkin }));
      if (next() < 0.5) {
        const results = { round: 1, voters: 6, minVoters: 3, withheld: null, factors: [], attention: [], groups: [], comments: [], named: null } as never;
        await store.saveRevealedRound({ sessionId: meeting, round: 1, revealedAt: Date.UTC(2027, 0, 15), results, ballots: [] });
        counted.push(meeting);
      }
    }
    sessions.set(id, counted);
    for (const [i] of ZONES.entries()) await store.shareCommunity(id, `o${i}`, 1);
  }
  return { sessions, names };
}

/** What the view was built from before: each counting session's latest round, taken from its full frozen results. */
async function referenceInput(store: Store, seeded: Seeded) {
  const communities = [];
  for (const [id, sessionIds] of seeded.sessions) {
    const rounds: FrozenRoundFigures[] = [];
    for (const sessionId of sessionIds) {
      const latest = (await store.loadRevealedRounds(sessionId)).at(-1);
      if (!latest) continue;
      const r = latest.results;
      rounds.push({
        revealedAt: latest.revealedAt,
        voters: r.voters,
        minVoters: r.minVoters ?? null,
        withheld: r.withheld ? String(r.withheld) : null,
        factors: r.factors.map((f) => ({ number: f.number, n: f.n, mean: f.mean, consensus: f.consensus }))
      });
    }
    communities.push({ id, name: seeded.names.get(id)!, rounds });
  }
  return communities;
}

async function expectSameViews(store: Store, other: Store): Promise<void> {
  const seeded = await seed(store);
  const communities = await referenceInput(store, seeded);
  for (const settings of SETTINGS) {
    for (const [i, timeZone] of ZONES.entries()) {
      const organisation = (await store.loadOrganisation(`o${i}`))!;
      const expected = referencePortfolio({ communities, factorCount: FACTORS, timeZone, settings });
      // Read twice (parsed, then from what the store kept) and on another handle of the same data.
      for (const reader of [store, store, other]) {
        const {
          communities: rows,
          factors,
          quarters,
          trend,
          waiting,
          settings: shown
        } = await new OrganisationService(reader, frameworks, settings).portfolio(organisation);
        expect(JSON.stringify({ communities: rows, factors, quarters, trend, waiting, settings: shown })).toBe(JSON.stringify(expected));
      }
      // The seed is not degenerate: communities shown and waiting, figures given and withheld, quarters near edges.
      expect(expected.communities.length).toBeGreaterThan(5);
      expect(expected.quarters.length).toBeGreaterThan(10);
    }
  }
}

describe('the programme view equals the computation before its cost was cut', () => {
  it('quarters: the same as Intl reads them on every zone, at and near every quarter edge from 1950 to 2035', () => {
    let checked = 0;
    const wrong: string[] = [];
    const check = (at: number, zone: string) => {
      checked++;
      if (quarterOf(at, zone) !== quarterOnClocks(at, zone)) wrong.push(`${zone} ${new Date(at).toISOString()}`);
    };
    for (const zone of [...ZONES, 'Australia/Lord_Howe', 'Pacific/Apia', 'America/Asuncion', 'Africa/Monrovia', 'Antarctica/Troll', 'Etc/GMT+12']) {
      for (let year = 1950; year <= 2035; year++)
        for (const month of [0, 3, 6, 9]) {
          const edge = Date.UTC(year, month, 1);
          // Every 37 minutes (and odd seconds) within 30 hours of the edge, and a few instants far from it.
          for (let minutes = -30 * 60; minutes <= 30 * 60; minutes += 37) check(edge + minutes * 60_000 + (minutes % 7) * 1000, zone);
          for (const days of [-40, 3, 45]) check(edge + days * 86_400_000, zone);
        }
      // Before 1900 and at the far end, Intl decides.
      for (const at of [Date.UTC(1850, 0, 1), Date.UTC(1899, 11, 31, 20), Date.UTC(9999, 11, 31)]) check(at, zone);
    }
    expect(wrong.slice(0, 10)).toEqual([]);
    expect(checked).toBeGreaterThan(100_000);
  });

  it('SQLite (a real file): the same JSON for every zone and setting, read twice and from a second handle', async () => {
    const dataDir = await makeDataDir();
    const store = new SqliteStore({ dataDir });
    const other = new SqliteStore({ dataDir });
    onTestFinished(async () => {
      await store.close();
      await other.close();
    });
    await expectSameViews(store, other);
  });

  it.skipIf(pgAdminUrl() === null)('PostgreSQL (a real server): the same JSON for every zone and setting, read twice and from a second handle', async () => {
    const connectionString = await makeDatabase();
    const store = await PostgresStore.open({ connectionString });
    const other = await PostgresStore.open({ connectionString });
    onTestFinished(async () => {
      await store.close();
      await other.close();
    });
    await expectSameViews(store, other);
  });
});
