/**
 * `npx tsx bench/hot-costs.ts`: what the work a bare server leaves out costs
 * per message, measured in-process (process CPU time, so a busy machine does not
 * inflate it): validating a vote and a join (zod schemas), authorising a command
 * (policy), the rate limiter, and the secrecy projections a vote and a join
 * cause (the facilitator's participant view, the progress counts, a
 * participant's snapshot). bench/README.md sets these against the CPU per
 * message of ours and bare. Bounded loops; no I/O.
 */
import { JoinSessionRequest } from '../src/lib/protocol/schemas';
import { COMMANDS } from '../src/lib/protocol/commands';
import { authorize } from '../server/sessions/policy';
import { TokenBucket } from '../server/security/rate';
import { BallotBox } from '../server/sessions/ballot-box';
import { participantView, snapshotFor, type Member, type RoomState } from '../server/sessions/projections';
import { DotLedger } from '../server/sessions/dots';
import { distinctName, NameIndex } from '../src/lib/domain/names';
import { hashToken } from '../server/security/tokens';
import { DEFAULT_FRAMEWORK_ID } from '../src/lib/domain/framework';
import type { SessionRecord } from '../server/store/types';

const N = 200_000;

function perCall(label: string, fn: (i: number) => unknown, n = N): { label: string; us: number } {
  for (let i = 0; i < Math.min(n, 5000); i++) fn(i); // warm up
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) fn(i);
  const used = process.cpuUsage(start);
  return { label, us: (used.user + used.system) / n };
}

function main(): void {
  const members = new Map<string, Member>();
  const ballots = new BallotBox(12, 1);
  for (let i = 0; i < 1000; i++) {
    const id = `p${i}`;
    members.set(id, { record: { id, sessionId: 's', tokenHash: id, name: `Person ${i}`, group: null, language: null, joinedAt: i } });
    ballots.addMember(id);
  }
  const session = {
    id: 's',
    code: 'ABCDEF',
    title: 'bench',
    phase: 'voting',
    round: 1,
    language: 'en',
    framework: DEFAULT_FRAMEWORK_ID,
    anonymous: false,
    revealedRounds: [],
    votingDeadline: null,
    votingPausedMs: null,
    votingClosed: false,
    settings: { weakBelow: 2.5, divergentBelow: 0.5, unclearFrom: 0.3, dotsPerPerson: 3, minVoters: 5, hideDotTotals: false, joinsLocked: false },
    timeZone: 'Europe/Amsterdam'
  } as unknown as SessionRecord;
  const latest = [...members.values()];
  const state: RoomState = {
    session,
    members,
    isConnected: () => true,
    latest: (n) => latest.slice(-n),
    ballots,
    dots: new DotLedger(),
    hiddenComments: [],
    presentedFactor: null,
    results: () => [],
    actions: () => [],
    community: null
  };
  const member = members.get('p7')!;
  const bucket = new TokenBucket(1e9, 1e9);
  const names = new NameIndex(latest.map((m) => m.record.name));
  const rows = [
    perCall('validate a vote (zod)', (i) => COMMANDS.vote.schema.safeParse({ factor: 1 + (i % 12), answer: 1 + (i % 5), round: 1 })),
    perCall('validate a dot (zod)', () => COMMANDS['dot:cast'].schema.safeParse({ actionId: 'abcdefgh12', delta: 1 })),
    perCall('validate a join (zod)', (i) => JoinSessionRequest.safeParse({ name: `Person ${i}`, group: null, language: 'nl' })),
    perCall('authorise a command (policy)', () => authorize('vote', { role: 'participant', participantId: 'p7' }, 'voting', (id) => members.has(id))),
    perCall('rate limit (token bucket)', () => bucket.take()),
    perCall('hash a token (SHA-256; bare too)', (i) => hashToken(`token-${i}`)),
    perCall('record a vote in the ballot box', (i) => ballots.record(1, `p${i % 1000}`, 1 + (i % 12), { answer: 3, comment: null })),
    perCall("facilitator's view of the voter (projection)", () => participantView(state, member)),
    perCall('progress counts (projection)', () => ballots.progress()),
    perCall('a distinct name for a join (1,000 in the room)', () => names.distinct('Person 7')),
    perCall(
      'the same by re-normalising every name (before issue 26)',
      () =>
        distinctName(
          'Person 7',
          latest.map((m) => m.record.name)
        ),
      2_000
    ),
    perCall(
      "a participant's snapshot on connect (projection, 1,000 in the room)",
      () => snapshotFor({ role: 'participant', participantId: 'p7' }, state, 0),
      20_000
    ),
    perCall("a participant's snapshot serialised (JSON)", () => JSON.stringify(snapshotFor({ role: 'participant', participantId: 'p7' }, state, 0)), 20_000)
  ];
  const width = Math.max(...rows.map((r) => r.label.length));
  console.log(`CPU per call (process.cpuUsage, ${N.toLocaleString()} calls; snapshots 20,000)\n`);
  for (const r of rows) console.log(`${r.label.padEnd(width)}  ${r.us.toFixed(2).padStart(8)} µs`);
}

main();
