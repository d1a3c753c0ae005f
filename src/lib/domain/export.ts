import type { Framework, Language } from './framework';
import type { FactorStats } from './statistics';
import type { ActionPoint } from './action-points';
import type { RoundResults } from './results';
import type { Phase } from './phases';
import type { ReviewItem, ReviewStatus } from './review';
import type { Messages } from '../i18n/messages';
import { humanDate, localDay } from './dates';
import { factorMoves } from './movement';
import { formatChange } from './wording';

/** The export JSON of docs/contracts.md (extended with rounds and attention). */
export interface ExportJson {
  /**
   * `createdAt`: the instant (ISO 8601, UTC); `date`: the day it was created on the clocks where the group met
   * (YYYY-MM-DD in `timeZone`, an IANA zone): the day machines and people should file it under.
   */
  session: { code: string; title: string; language: Language; phase: Phase; createdAt: string; date: string; timeZone: string };
  participants: number;
  round: number | null;
  /** `comments`: what the room saw after the reveal (text only, sorted; hidden ones left out). */
  factors: (FactorStats & { id: string; title: string; comments: string[] })[];
  attention: {
    number: number;
    title: string;
    weak: boolean;
    divergent: boolean;
    unclear: boolean;
    mean: number | null;
    consensus: number | null;
    unknownShare: number | null;
  }[];
  actions: { factor: number | null; text: string; owner: string | null; due: string | null; status: ActionPoint['status']; votes: number }[];
  /**
   * Every revealed round, oldest first (the top-level `factors` is the last of them): what the room
   * saw at each reveal, as frozen then. `factors` has the top-level factors' figures (without their
   * `comments`: the round's comments are in `comments`, so none is written twice), and `change`, the
   * change of mean and consensus since the round before (null in the first round; a side null when
   * either round withheld it). `comments` are those the room saw (hidden ones left out, none in a
   * round withheld under k), by factor, each factor's sorted by text.
   */
  rounds: {
    round: number;
    voters: number;
    withheld: RoundResults['withheld'];
    minVoters: number | null;
    factors: (FactorStats & { id: string; title: string; change: { mean: number | null; consensus: number | null } | null })[];
    comments: { factor: number; text: string }[];
  }[];
  /**
   * Sessions of a learning community only: the review of earlier sessions' open action points
   * ("since last time"), oldest session first; `status` null while not discussed.
   */
  review?: {
    from: { code: string; title: string; date: string };
    factor: number | null;
    text: string;
    owner: string | null;
    due: string | null;
    status: ReviewStatus | null;
  }[];
}

export interface ExportInput {
  session: { code: string; title: string; language: Language; phase: Phase; createdAt: number; timeZone: string };
  participants: number;
  framework: Framework;
  results: RoundResults[];
  actions: ActionPoint[];
  dotTotals: Record<string, number>;
  /** The review list of a community's session; null or absent outside a community. */
  review?: readonly ReviewItem[] | null;
}

/** Builds the export JSON: the latest revealed round, all rounds in brief, and the actions. */
export function buildExport(input: ExportInput): ExportJson {
  const { session, framework, results } = input;
  const latest = results.at(-1) ?? null;
  const lang = session.language;
  const titleOf = (n: number) => framework.factors[n - 1]?.title[lang] ?? `#${n}`;
  return {
    session: {
      code: session.code,
      title: session.title,
      language: lang,
      phase: session.phase,
      createdAt: new Date(session.createdAt).toISOString(),
      date: localDay(session.createdAt, session.timeZone),
      timeZone: session.timeZone
    },
    participants: input.participants,
    round: latest?.round ?? null,
    factors: latest
      ? latest.factors.map((s) => ({
          ...s,
          id: framework.factors[s.number - 1].id,
          title: titleOf(s.number),
          comments: [...(latest.comments?.[s.number - 1] ?? [])]
        }))
      : [],
    attention: latest ? latest.attention.map((a) => ({ ...a, title: titleOf(a.number) })) : [],
    // A point nobody wrote in, gave an owner or a date, or dotted (an empty "+ action" left behind) is not taken home.
    actions: input.actions
      .map((a) => ({ factor: a.factor, text: a.text, owner: a.owner, due: a.due, status: a.status, votes: input.dotTotals[a.id] ?? 0 }))
      .filter((a) => a.text.trim() !== '' || a.owner !== null || a.due !== null || a.votes > 0),
    // Every revealed round: the comments of round 1 are not lost when round 2 is revealed.
    rounds: results.map((r, i) => {
      const shift = i === 0 ? null : factorMoves(results[i - 1].factors, r.factors);
      return {
        round: r.round,
        voters: r.voters,
        withheld: r.withheld ?? null,
        minVoters: r.minVoters ?? null,
        factors: r.factors.map((s) => {
          const change = shift?.find((c) => c.number === s.number) ?? null;
          return {
            ...s,
            id: framework.factors[s.number - 1]?.id ?? `#${s.number}`,
            title: titleOf(s.number),
            change: change && { mean: change.mean, consensus: change.consensus }
          };
        }),
        comments: (r.comments ?? []).flatMap((texts, f) => texts.map((text) => ({ factor: f + 1, text })))
      };
    }),
    ...(input.review
      ? {
          review: input.review.map((i) => ({
            from: { code: i.sessionCode, title: i.sessionTitle, date: i.sessionDate },
            factor: i.factor,
            text: i.text,
            owner: i.owner,
            due: i.due,
            status: i.review
          }))
        }
      : {})
  };
}

/**
 * The words an export is written in: the interface's catalogue for the session's language
 * (`exportWords` in src/lib/i18n/catalogues.ts), passed in, so the domain loads no catalogue itself.
 */
export type ExportWords = Pick<Messages, 'export' | 'review' | 'actions' | 'results' | 'community' | 'takeHome'>;

export type CsvTable = 'factors' | 'ballots' | 'actions' | 'comments';
export const CSV_TABLES: readonly CsvTable[] = ['factors', 'ballots', 'actions', 'comments'];
/** One ballot row: `group` is the voter's stakeholder group as people read it (named sessions only; null otherwise). */
export type Ballot = { voter: string; group?: string | null; round: number; answers: (string | number | null)[] };

/** A CSV cell (RFC 4180): quoted when needed; text that a spreadsheet would run as a formula gets a leading '. */
function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r;]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Counts per score 1…5 as table cells; null where a factor's figures are withheld (fewer than k scores). */
export function distributionCells(f: Pick<FactorStats, 'distribution'>): (number | null)[] {
  return (['1', '2', '3', '4', '5'] as const).map((s) => f.distribution?.[s] ?? null);
}

export function csvRows(rows: unknown[][]): string {
  return `${rows.map((row) => row.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

/** The rows of one table, with machine-readable headers (the same in every language). */
export function tableRows(data: ExportJson, ballots: Ballot[], table: CsvTable): unknown[][] {
  switch (table) {
    case 'factors':
      return [
        [
          'factor',
          'id',
          'title',
          'n',
          'unknown',
          'mean',
          'median',
          'stddev',
          'consensus',
          'score_1',
          'score_2',
          'score_3',
          'score_4',
          'score_5',
          'weak',
          'divergent',
          'unclear',
          // Added with the rounds (issue 23), last, so that columns of earlier exports keep their places.
          'round',
          'mean_change',
          'consensus_change'
        ],
        // Every revealed round, oldest first; the change is since the round before (empty in the first).
        ...data.rounds.flatMap((r) =>
          r.factors.map((f) => [
            f.number,
            f.id,
            f.title,
            f.n,
            f.unknown,
            f.mean,
            f.median,
            f.stddev,
            f.consensus,
            ...distributionCells(f),
            f.weak,
            f.divergent,
            f.unclear,
            r.round,
            f.change?.mean ?? null,
            f.change?.consensus ?? null
          ])
        )
      ];
    case 'ballots': {
      const factorCount = data.factors.length || (ballots[0]?.answers.length ?? 0);
      // `group` comes last so that columns of earlier exports keep their places.
      return [
        ['voter', 'round', ...Array.from({ length: factorCount }, (_, i) => `factor_${i + 1}`), 'group'],
        ...ballots.map((b) => [b.voter, b.round, ...b.answers, b.group ?? null])
      ];
    }
    case 'actions':
      return [['factor', 'text', 'owner', 'due', 'status', 'votes'], ...sortedActions(data).map((a) => [a.factor, a.text, a.owner, a.due, a.status, a.votes])];
    case 'comments':
      // Every revealed round's comments, oldest round first; `round` last so earlier columns keep their places.
      return [['factor', 'comment', 'round'], ...data.rounds.flatMap((r) => r.comments.map((c) => [c.factor, c.text, r.round]))];
    default: {
      const unreachable: never = table;
      throw new Error(`unknown table ${String(unreachable)}`);
    }
  }
}

/** CSV for machines: one table per file (RFC 4180, comma-separated, CRLF, dot decimals). */
export function exportCsv(data: ExportJson, ballots: Ballot[], table: CsvTable = 'factors'): string {
  return csvRows(tableRows(data, ballots, table));
}

/** Rows of CSV given out at a time by `csvChunks`. */
const CSV_CHUNK_ROWS = 1000;

/**
 * The same CSV in chunks of whole rows (joined, they are `exportCsv`), so a server can write a
 * large table (at the limits: five rounds of 6,000 comments) a chunk per turn of its event loop.
 */
export function* csvChunks(data: ExportJson, ballots: Ballot[], table: CsvTable = 'factors'): Generator<string> {
  const rows = tableRows(data, ballots, table);
  for (let at = 0; at < rows.length; at += CSV_CHUNK_ROWS) yield csvRows(rows.slice(at, at + CSV_CHUNK_ROWS));
}

/** Actions with the most dots first (then in board order). */
export function sortedActions(data: ExportJson): ExportJson['actions'] {
  return data.actions
    .map((a, i) => ({ a, i }))
    .sort((x, y) => y.a.votes - x.a.votes || x.i - y.i)
    .map(({ a }) => a);
}

/**
 * Escapes user text for Markdown inline content, only where a character would
 * change the rendering: emphasis, code, links and images, raw HTML, entity
 * references, and in tables the cell separator. "West-Holland", "R&D" and
 * "3.5" stay as they are. Line breaks become spaces (one item, one line).
 */
export function escapeMarkdown(text: string, { table = false } = {}): string {
  let out = text
    .replace(/\r?\n|\r/g, ' ')
    .replace(/[\\`*[\]<>~]/g, (c) => `\\${c}`)
    // _ emphasises only at a word boundary; inside words (snake_case) it is literal.
    .replace(/(^|[^\p{L}\p{N}])_|_(?=$|[^\p{L}\p{N}])/gu, (m) => m.replace('_', '\\_'))
    // &name; or &#123; would render as the character it names.
    .replace(/&(?=#?[A-Za-z0-9]+;)/g, '\\&');
  if (table) out = out.replace(/\|/g, '\\|');
  return out;
}

/** Escapes the start of a line that would otherwise begin a heading, list, quote or rule. */
function escapeLineStart(text: string): string {
  return text.replace(/^(\s*)([#+\-=>]|\d+(?=[.)]))/, (_m, space: string, marker: string) => `${space}${/^\d/.test(marker) ? `${marker}\\` : `\\${marker}`}`);
}

const inline = (text: string) => escapeLineStart(escapeMarkdown(text));

/**
 * A person's text as the content of a list item, its lines kept: each line escaped on its own and ended by a hard
 * break, continuation lines indented under the item. A blank line (which would end the item) is left out.
 */
const itemText = (text: string) =>
  text
    .split(/\r?\n|\r/)
    .map((line) => inline(line.trim()))
    .filter((line) => line !== '')
    .join('\\\n  ');
const cell = (text: string) => escapeMarkdown(text, { table: true });

function fmt(value: number | null, lang: Language, digits = 2): string {
  return value === null ? '–' : value.toLocaleString(lang === 'nl' ? 'nl-NL' : 'en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function percent(value: number | null, lang: Language): string {
  return value === null ? '–' : value.toLocaleString(lang === 'nl' ? 'nl-NL' : 'en-GB', { style: 'percent', maximumFractionDigits: 0 });
}

/** Words for why a factor needs attention, in the session's language. */
export function attentionReasons(a: ExportJson['attention'][number], lang: Language, words: ExportWords): string[] {
  const t = words.export;
  return [
    a.weak ? t.reasonWeak(fmt(a.mean, lang)) : '',
    a.divergent ? t.reasonDivergent(fmt(a.consensus, lang)) : '',
    a.unclear ? t.reasonUnclear(percent(a.unknownShare, lang)) : ''
  ].filter(Boolean);
}

/** An agenda-ready Markdown report: summary, results table, attention list, comments, actions by dots. */
export function exportMarkdown(data: ExportJson, framework: Framework, words: ExportWords): string {
  return [...markdownChunks(data, framework, words)].join('');
}

/** Lines held before a chunk of the Markdown report is given out. */
const MARKDOWN_CHUNK_LINES = 200;

/** A change with its sign (+0,25 / −0,10), or a dash when either side is missing. */
function signed(value: number | null, lang: Language): string {
  return formatChange(lang, value);
}

/**
 * The Markdown report in chunks of whole lines (joined, they are `exportMarkdown`), so a server can
 * write a large one (at the limits: 5 rounds of 6,000 comments) a chunk per turn of its event loop.
 * With more than one round, the results, the shifts between rounds and the comments are given for
 * every round, each under its round's heading; the attention list is the latest round's.
 */
export function* markdownChunks(data: ExportJson, framework: Framework, words: ExportWords): Generator<string> {
  const lang = data.session.language;
  const t = words.export;
  const r23 = words.takeHome;
  const titleOf = (n: number) => framework.factors[n - 1]?.title[lang] ?? `#${n}`;
  const rounds = data.rounds;
  const several = rounds.length > 1;
  let lines: string[] = [];
  /** Whether enough lines are held to give out a chunk (then `take` gives them and starts anew). */
  const full = () => lines.length >= MARKDOWN_CHUNK_LINES;
  const take = () => {
    const chunk = `${lines.join('\n')}\n`;
    lines = [];
    return chunk;
  };
  lines.push(`# ${inline(data.session.title)}`, '');
  // People read the day where the group met, in their own language's format (never the UTC day, never ISO).
  lines.push(`- ${t.date}: ${humanDate(data.session.date, lang)}`, `- ${t.code}: ${data.session.code}`, `- ${t.participants}: ${data.participants}`);
  if (data.round !== null) lines.push(several ? `- ${t.rounds}: ${rounds.map((r) => r.round).join(', ')}` : `- ${t.round}: ${data.round}`);

  // The agenda starts where the meeting did: what became of last time's action points.
  if (data.review && data.review.length > 0) {
    lines.push('', `## ${words.review.title}`, '');
    for (const r of data.review) {
      // Separated by " · ", never in parentheses: a text or title with its own brackets never nests in ours.
      const meta = [
        words.review.from(escapeMarkdown(r.from.title), humanDate(r.from.date, lang)),
        r.factor === null ? t.general : t.factorRef(r.factor),
        r.owner ? `${t.owner}: ${escapeMarkdown(r.owner)}` : '',
        r.due ? `${t.due}: ${humanDate(r.due, lang)}` : ''
      ].filter(Boolean);
      const status = r.status ? words.review.statuses[r.status] : words.review.notReviewed;
      lines.push(`- **${status}**: ${itemText(r.text) || '…'} — ${meta.join(' · ')}`);
      if (full()) yield take();
    }
  }

  lines.push('', `## ${t.results}`, '');
  if (rounds.length === 0) lines.push(t.noResults);
  for (const r of rounds) {
    if (several) lines.push(`### ${r23.roundVoters(r.round, r.voters)}`, '');
    if (r.withheld) lines.push(r23.withheld(r.minVoters ?? 0), '');
    lines.push(`| ${t.number} | ${t.factor} | ${t.n} | ${t.unknown} | ${t.mean} | ${t.consensus} | ${t.labels} |`, '|---:|---|---:|---:|---:|---:|---|');
    for (const f of r.factors) {
      const labels = [f.weak ? t.weak : '', f.divergent ? t.divergent : '', f.unclear ? t.unclear : ''].filter(Boolean).join(', ');
      lines.push(`| ${f.number} | ${cell(f.title)} | ${f.n} | ${f.unknown} | ${fmt(f.mean, lang)} | ${fmt(f.consensus, lang)} | ${labels} |`);
    }
    if (several) lines.push('');
  }

  // What moved between rounds: each round against the one before.
  for (let i = 1; i < rounds.length; i++) {
    const before = rounds[i - 1];
    const after = rounds[i];
    lines.push('', `## ${r23.shift(before.round, after.round)}`, '');
    lines.push(
      `| ${t.number} | ${t.factor} | ${t.mean} ${r23.roundTitle(before.round).toLowerCase()} | ${t.mean} ${r23.roundTitle(after.round).toLowerCase()} | ${r23.meanChange} | ${r23.consensusChange} |`,
      '|---:|---|---:|---:|---:|---:|'
    );
    for (const f of after.factors) {
      const prior = before.factors.find((b) => b.number === f.number);
      lines.push(
        `| ${f.number} | ${cell(f.title)} | ${fmt(prior?.mean ?? null, lang)} | ${fmt(f.mean, lang)} | ${signed(f.change?.mean ?? null, lang)} | ${signed(f.change?.consensus ?? null, lang)} |`
      );
    }
  }
  if (full()) yield take();

  lines.push('', `## ${t.attention}${several && data.round !== null ? ` — ${r23.roundTitle(data.round).toLowerCase()}` : ''}`, '');
  // An empty list of a round withheld under k says so: "no weak factors" would praise figures nobody was shown.
  if (data.attention.length === 0) lines.push(data.rounds.at(-1)?.withheld ? t.attentionWithheld : t.noAttention);
  // One numbering: the list's own; the factor number is said in words.
  data.attention.forEach((a, i) => {
    lines.push(`${i + 1}. **${escapeMarkdown(a.title)}** (${t.factorRef(a.number)}): ${attentionReasons(a, lang, words).join('; ')}`);
  });

  // Every round's comments (the room saw them all), under the round's heading when there are several.
  if (rounds.some((r) => r.comments.length > 0)) {
    lines.push('', `## ${t.comments}`);
    for (const r of rounds) {
      if (r.comments.length === 0) continue;
      if (several) lines.push('', `### ${r23.roundTitle(r.round)}`);
      let factor = 0;
      for (const c of r.comments) {
        if (c.factor !== factor) {
          factor = c.factor;
          lines.push('', `${several ? '####' : '###'} ${c.factor}. ${escapeMarkdown(titleOf(c.factor))}`, '');
        }
        lines.push(`- ${itemText(c.text)}`);
        if (full()) yield take();
      }
    }
  }

  lines.push('', `## ${t.actions}`, '');
  if (data.actions.length === 0) lines.push(t.noActions);
  for (const a of sortedActions(data)) {
    // Separated by " · ", never in parentheses: a factor title with its own brackets never nests in ours.
    const meta = [
      words.actions.statuses[a.status],
      a.factor === null ? t.general : `${t.factorRef(a.factor)}: ${escapeMarkdown(titleOf(a.factor))}`,
      a.owner ? `${t.owner}: ${escapeMarkdown(a.owner)}` : '',
      a.due ? `${t.due}: ${humanDate(a.due, lang)}` : '',
      words.actions.votes(a.votes)
    ].filter(Boolean);
    lines.push(`- [${a.status === 'done' ? 'x' : ' '}] ${itemText(a.text) || '…'} — ${meta.join(' · ')}`);
    if (full()) yield take();
  }
  // The report ends with the action list (each chunk ends with a line break; nothing after the last line).
  if (lines.length > 0) yield `${lines.join('\n').trimEnd()}\n`;
}

/**
 * What a community's import reads of an export.json (the session's title and day, the latest
 * round's counts): the page sends only that, so an export of five rounds with all their comments
 * stays far below the import's 1 MB. Anything else is passed on as it is, for the server to refuse.
 */
export function importableExport(exported: unknown): unknown {
  if (exported === null || typeof exported !== 'object') return exported;
  const { session, factors } = exported as { session?: unknown; factors?: unknown };
  if (session === null || typeof session !== 'object' || !Array.isArray(factors)) return exported;
  const { title, createdAt, date } = session as Record<string, unknown>;
  return {
    session: { title, createdAt, date },
    factors: factors.map((f: unknown) => {
      if (f === null || typeof f !== 'object') return f;
      const { number, distribution, unknown } = f as Record<string, unknown>;
      return { number, distribution, unknown };
    })
  };
}
