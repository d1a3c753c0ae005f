/**
 * What an export or a computed view costs at its worst (issue 20): a session
 * filled to every limit with the most expensive legal content, next to an
 * ordinary workshop, in the same run. For each export and view: the slowest of
 * BENCH_REPEATS requests (wall time) and the longest the event loop was blocked
 * meanwhile (perf_hooks monitorEventLoopDelay, max), and the output's size.
 *
 * Worst case, per session: 500 named participants (names of 40 flags: 40
 * graphemes, 160 code units), LIMITS.roundsPerSession (5) revealed rounds, in each
 * 12 answers per person with a comment of 10 flags (40 units, 4 UTF-8 bytes per
 * unit pair): 6,000 comments per round, as many as there can be, filling the
 * session's comment budget of the round (240,000 of 250,000 units), 300 action points with a
 * due date and an owner of 80 flags, their texts alternately 2,000 flags and one
 * letter under 7,999 combining marks (each exactly at both bounds: 8,000 units);
 * ten of them merged into one (a 80,000-unit text, cut in the spreadsheet).
 * The community: BENCH_EXPORT_SESSIONS such sessions (default 6) and 10 paper
 * sessions, with a next session whose review list and room load are measured.
 * Ordinary: 20 participants, short comments on a third of the answers, 15
 * action points of a sentence, the same number of sessions.
 *
 * In-process: the real server (createServer) on a temp SQLite file, its store
 * filled directly, requests over HTTP on 127.0.0.1 from this process, so the
 * event-loop delay measured is the server's.
 */
import { paperFigures } from '../src/lib/domain/community';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as Y from 'yjs';
import { createServer, type RunningServer } from '../server/app';
import { hashToken } from '../server/security/tokens';
import { loadCommunityContext, REVIEW_ITEMS_MAX } from '../server/communities/review';
import { CommunityReviews } from '../server/communities/review-book';
import { createText } from '../src/lib/board/actions';
import type { ActionRecord } from '../src/lib/domain/action-points';
import type { Answer } from '../src/lib/domain/ballots';
import { computeRoundResults, revealedBallots } from '../src/lib/domain/results';
import { DEFAULT_THRESHOLDS } from '../src/lib/domain/statistics';
import { LIMITS } from '../src/lib/protocol';
import type { Store } from '../server/store/types';
import { fmt, ROOT, table, writeResults } from './lib';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
/** Live sessions in the community (at least BENCH_REPEATS + 1: each room load is measured on a session not loaded yet). */
const SESSIONS = Math.max(REPEATS + 1, Number(process.env.BENCH_EXPORT_SESSIONS ?? 6));
const PAPERS = 10;
const FACTORS = 12;
const FLAG = '🇳🇱';
const flags = (n: number) => FLAG.repeat(n);
/** Session codes use this alphabet (no 0/O/1/I/L). */
const ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
const codeOf = (prefix: string, n: number) => `${prefix}${ALPHABET[Math.floor(n / ALPHABET.length) % ALPHABET.length]}${ALPHABET[n % ALPHABET.length]}`;

type Kind = 'worst' | 'ordinary';

interface Filled {
  kind: Kind;
  communityId: string;
  communityToken: string;
  codes: string[];
  tokens: string[];
  nextSessionId: string;
}

const content = {
  worst: {
    participants: LIMITS.participantsPerSession,
    name: (i: number) => `${flags(LIMITS.nameMax - 4)}${String(i).padStart(4, '0')}`,
    // As many comments as a round can hold within the session's budget: every answer has one.
    comment: () => flags(Math.floor(LIMITS.commentUnitsPerSessionRound / (LIMITS.participantsPerSession * FACTORS) / 4)),
    rounds: LIMITS.roundsPerSession,
    actions: LIMITS.actionsPerSession,
    text: (i: number) => (i % 2 === 0 ? flags(LIMITS.actionTextMax) : `a${'\u0301'.repeat(LIMITS.actionTextUnits - 1)}`),
    owner: () => flags(LIMITS.ownerMax),
    merged: 10,
    title: (s: number) => `${flags(LIMITS.titleMax - 4)}${String(s).padStart(4, '0')}`
  },
  ordinary: {
    participants: 20,
    name: (i: number) => `Participant ${i}`,
    comment: (i: number) => (i % 3 === 0 ? 'We talk about this every month but nothing changes.' : null),
    rounds: 1,
    actions: 15,
    text: (i: number) => `Plan a site visit with the partners of project ${i} and write down what we learn.`,
    owner: () => 'Ana',
    merged: 0,
    title: (s: number) => `Monthly meeting ${s}`
  }
} as const;

function record(id: string, position: number, owner: string, mergedInto: string | null): ActionRecord {
  return {
    id,
    factor: (position % FACTORS) + 1,
    position,
    owner,
    due: '2027-01-15',
    status: 'open',
    createdBy: 'facilitator',
    createdAt: position,
    mergedInto,
    removed: false,
    origin: null
  };
}

async function fillSession(store: Store, kind: Kind, communityId: string, s: number, token: string): Promise<string> {
  const c = content[kind];
  const id = `${kind}-${s}`;
  const code = codeOf(kind === 'worst' ? 'WBEN' : 'QBEN', s);
  const createdAt = Date.UTC(2026, 0, 1) + s * 86_400_000 * 30;
  await store.createSession({
    id,
    code,
    title: c.title(s),
    language: 'en',
    framework: 'seeds-of-innovation',
    anonymous: false,
    facilitatorTokenHash: hashToken(token),
    presenterTokenHash: null,
    phase: 'actions',
    round: c.rounds,
    votingDeadline: null,
    votingClosed: false,
    votingPausedMs: null,
    settings: { ...DEFAULT_THRESHOLDS, dotsPerPerson: 3, minVoters: 3, hideDotTotals: false, joinsLocked: false },
    timeZone: 'Europe/Amsterdam',
    mode: 'live',
    deadline: null,
    revealAt: null,
    revealedRounds: Array.from({ length: c.rounds }, (_, r) => r + 1),
    communityId,
    createdAt,
    updatedAt: createdAt
  });
  const participants = [];
  for (let v = 0; v < c.participants; v++) {
    const participant = {
      id: `${id}-p${v}`,
      sessionId: id,
      tokenHash: hashToken(`${id}-p${v}-token`),
      name: c.name(v),
      group: null,
      language: null,
      joinedAt: createdAt
    };
    await store.addParticipant(participant);
    participants.push(participant);
  }
  for (let round = 1; round <= c.rounds; round++) {
    const voters = [];
    const comments: { factor: number; text: string }[] = [];
    for (const [v, participant] of participants.entries()) {
      const answers = new Map<number, Answer>();
      for (let f = 1; f <= FACTORS; f++) {
        const answer = (((v * 7 + f * 3 + s + round) % 5) + 1) as Answer;
        const comment = c.comment(v * FACTORS + f);
        answers.set(f, answer);
        if (comment) comments.push({ factor: f, text: comment });
        await store.saveAnswer({ sessionId: id, round, participantId: participant.id, factor: f, answer, comment });
      }
      voters.push({ id: participant.id, name: participant.name, group: null, answers });
    }
    const input = { round, factorCount: FACTORS, thresholds: DEFAULT_THRESHOLDS, anonymous: false, voters, comments };
    await store.saveRevealedRound({
      sessionId: id,
      round,
      revealedAt: createdAt + round * 3_600_000,
      results: computeRoundResults(input),
      ballots: revealedBallots(input)
    });
  }
  const doc = new Y.Doc();
  const points: ActionRecord[] = [];
  // The board may hold LIMITS.yjsDocumentBytes: texts at both bounds until it is (nearly) full, short ones after, as the gate allows.
  let bytes = 0;
  for (let a = 0; a < c.actions; a++) {
    const pid = `${id}-a${String(a).padStart(4, '0')}`;
    points.push(record(pid, a, c.owner(), a > 0 && a <= c.merged ? `${id}-a0000` : null));
    const long = c.text(a);
    const text = bytes + Buffer.byteLength(long) < LIMITS.yjsDocumentBytes * 0.95 ? long : `Action ${a}`;
    bytes += Buffer.byteLength(text) + 64;
    createText(doc, pid, text);
  }
  await store.saveActionPoints(id, points);
  await store.appendYjsUpdate(id, Y.encodeStateAsUpdate(doc));
  return code;
}

async function fill(server: RunningServer, kind: Kind): Promise<Filled> {
  const created = await fetch(`${server.url}/api/communities`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: kind === 'worst' ? content.worst.title(9999) : 'Greenport LC', language: 'en' })
  });
  const community = (await created.json()) as { id: string; communityToken: string };
  const codes: string[] = [];
  const tokens: string[] = [];
  for (let s = 0; s < SESSIONS; s++) {
    const token = `${kind}-facilitator-token-${s}-xxxxxxxxxxxxxxxx`;
    codes.push(await fillSession(server.store, kind, community.id, s, token));
    tokens.push(token);
  }
  for (let p = 0; p < PAPERS; p++) {
    const factors = Array.from({ length: FACTORS }, (_, f) => ({
      number: f + 1,
      distribution: { '1': 1, '2': 2, '3': 5, '4': 6, '5': (p + f) % 4 },
      unknown: 1
    }));
    await server.store.savePaperSession({
      id: `${kind}-paper-${p}`,
      communityId: community.id,
      code: codeOf(kind === 'worst' ? 'PWBEN' : 'PQBEN', p),
      title: content[kind].title(100 + p),
      source: p % 2 === 0 ? 'paper' : 'import',
      date: `2025-${String(p + 1).padStart(2, '0')}-01`,
      factors,
      figures: paperFigures(factors),
      createdAt: Date.UTC(2025, p, 1)
    });
  }
  // The next session of the community: its review lists the earlier sessions' open points.
  const next = {
    ...(await server.store.loadSession(`${kind}-0`))!.session,
    id: `${kind}-next`,
    code: kind === 'worst' ? 'WNEXTA' : 'QNEXTA',
    createdAt: Date.UTC(2040, 0, 1)
  };
  await server.store.createSession(next);
  return { kind, communityId: community.id, communityToken: community.communityToken, codes, tokens, nextSessionId: next.id };
}

interface Measured {
  worstMs: number;
  loopMaxMs: number;
  bytes: number;
}

/** Runs `work` REPEATS times; the slowest run and the longest event-loop blockage seen during any of them. */
async function measure(work: () => Promise<number>): Promise<Measured> {
  let worstMs = 0;
  let loopMaxMs = 0;
  let bytes = 0;
  for (let i = 0; i < REPEATS; i++) {
    const histogram = monitorEventLoopDelay({ resolution: 5 });
    histogram.enable();
    const start = process.hrtime.bigint();
    bytes = await work();
    worstMs = Math.max(worstMs, Number(process.hrtime.bigint() - start) / 1e6);
    // One more turn of timers, so a delay that lasted until the answer arrived is recorded too.
    await new Promise((resolve) => setTimeout(resolve, 20));
    histogram.disable();
    if (histogram.count > 0) loopMaxMs = Math.max(loopMaxMs, histogram.max / 1e6);
  }
  return { worstMs, loopMaxMs, bytes };
}

const get = async (url: string, token: string) => {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const body = await response.arrayBuffer();
  if (!response.ok) throw new Error(`${url}: ${response.status} ${Buffer.from(body).toString().slice(0, 200)}`);
  return body.byteLength;
};

async function views(server: RunningServer, filled: Filled): Promise<Record<string, Measured>> {
  const out: Record<string, Measured> = {};
  const code = filled.codes.at(-1)!;
  const token = filled.tokens.at(-1)!;
  const session = `${server.url}/api/sessions/${code}`;
  // A room loads once (decoding its board from the store): the first request for each session pays for it.
  let loaded = 0;
  out['room load + export.json'] = await measure(() => get(`${server.url}/api/sessions/${filled.codes[loaded]}/export.json`, filled.tokens[loaded++]));
  await get(`${session}/export.json`, token);
  for (const [label, suffix] of [
    ['export.json', 'export.json'],
    ['export.csv actions', 'export.csv?table=actions'],
    ['export.csv comments', 'export.csv?table=comments'],
    ['export.csv ballots', 'export.csv?table=ballots'],
    ['export.md', 'export.md'],
    ['export.xlsx', 'export.xlsx'],
    ['actions.ics', 'actions.ics']
  ] as const) {
    out[label] = await measure(() => get(`${session}/${suffix}`, token));
  }
  const community = `${server.url}/api/communities/${filled.communityId}`;
  for (const [label, suffix] of [
    ['community trends.json', 'trends.json'],
    ['community export.csv', 'export.csv'],
    ['community export.md', 'export.md'],
    ['community export.xlsx', 'export.xlsx'],
    ['community actions.ics', 'actions.ics']
  ] as const) {
    out[label] = await measure(() => get(`${community}/${suffix}`, filled.communityToken));
  }
  const next = (await server.store.loadSession(filled.nextSessionId))!.session;
  out[`review list (${REVIEW_ITEMS_MAX} items max)`] = await measure(async () => {
    const context = await loadCommunityContext(server.store, next, FACTORS, new CommunityReviews());
    return Buffer.byteLength(JSON.stringify(context?.review.items() ?? []));
  });
  return out;
}

async function main(): Promise<void> {
  const timer = setTimeout(() => {
    console.error('bench:exports took over 20 minutes; stopping');
    process.exit(1);
  }, 20 * 60_000);
  timer.unref();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seeds-bench-exports-'));
  try {
    const server = await createServer({
      port: 0,
      host: '127.0.0.1',
      dataDir,
      contentDir: path.join(ROOT, 'content'),
      purgeAfterDays: 0,
      lobbyPurgeHours: 0,
      sessionsPerHour: 0,
      // Filling 5 rounds of 500 × 12 answers per session one committed write at a time; NORMAL skips the
      // fsync per commit (WAL), which changes what the fill costs and nothing of what is measured (reads).
      synchronous: 'NORMAL'
    });
    try {
      const results: Record<Kind, Record<string, Measured>> = { worst: {}, ordinary: {} };
      for (const kind of ['ordinary', 'worst'] as const) {
        const start = Date.now();
        const filled = await fill(server, kind);
        console.error(`${kind}: filled ${SESSIONS} sessions in ${((Date.now() - start) / 1000).toFixed(1)} s`);
        results[kind] = await views(server, filled);
      }
      const rows = Object.keys(results.worst).map((label) => {
        const w = results.worst[label];
        const o = results.ordinary[label];
        return [label, fmt(o.worstMs), fmt(o.loopMaxMs), fmt(o.bytes / 1024), fmt(w.worstMs), fmt(w.loopMaxMs), fmt(w.bytes / 1024)];
      });
      console.log(
        `Exports and views: slowest of ${REPEATS} requests and the longest event-loop blockage meanwhile (ms), output KiB; a community of ${SESSIONS} live + ${PAPERS} paper sessions`
      );
      console.log(table(['output', 'ordinary ms', 'loop ms', 'KiB', 'worst ms', 'loop ms', 'KiB'], rows));
      console.log(`\n${writeResults('exports', { repeats: REPEATS, sessions: SESSIONS, papers: PAPERS, results })}`);
    } finally {
      await server.close();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

void main();
