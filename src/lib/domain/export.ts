import type { Framework, Language } from './framework';
import type { FactorStats } from './statistics';
import type { ActionPoint } from './action-points';
import type { RoundResults } from './results';
import type { Phase } from './phases';
import type { ReviewItem, ReviewStatus } from './review';
import type { Messages } from '../i18n/messages';
import { humanDate, localDay } from './dates';

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
  rounds: { round: number; voters: number; factors: { number: number; n: number; mean: number | null; consensus: number | null }[] }[];
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
    actions: input.actions.map((a) => ({ factor: a.factor, text: a.text, owner: a.owner, due: a.due, status: a.status, votes: input.dotTotals[a.id] ?? 0 })),
    rounds: results.map((r) => ({
      round: r.round,
      voters: r.voters,
      factors: r.factors.map(({ number, n, mean, consensus }) => ({ number, n, mean, consensus }))
    })),
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
export type ExportWords = Pick<Messages, 'export' | 'review' | 'actions' | 'results' | 'community'>;

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
          'unclear'
        ],
        ...data.factors.map((f) => [
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
          f.unclear
        ])
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
      return [['factor', 'comment'], ...data.factors.flatMap((f) => f.comments.map((c) => [f.number, c]))];
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

/**
 * The Markdown report in chunks of whole lines (joined, they are `exportMarkdown`), so a server can
 * write a large one (at the limits: 6,000 comments of 2,000 code units) a chunk per turn of its event loop.
 */
export function* markdownChunks(data: ExportJson, framework: Framework, words: ExportWords): Generator<string> {
  const lang = data.session.language;
  const t = words.export;
  const titleOf = (n: number) => framework.factors[n - 1]?.title[lang] ?? `#${n}`;
  let lines: string[] = [];
  lines.push(`# ${inline(data.session.title)}`, '');
  // People read the day where the group met, in their own language's format (never the UTC day, never ISO).
  lines.push(`- ${t.date}: ${humanDate(data.session.date, lang)}`, `- ${t.code}: ${data.session.code}`, `- ${t.participants}: ${data.participants}`);
  if (data.round !== null) lines.push(`- ${t.round}: ${data.round}`);

  // The agenda starts where the meeting did: what became of last time's action points.
  if (data.review && data.review.length > 0) {
    lines.push('', `## ${words.review.title}`, '');
    for (const r of data.review) {
      const meta = [
        words.review.from(escapeMarkdown(r.from.title), humanDate(r.from.date, lang)),
        r.factor === null ? t.general : t.factorRef(r.factor),
        r.owner ? `${t.owner}: ${escapeMarkdown(r.owner)}` : '',
        r.due ? `${t.due}: ${humanDate(r.due, lang)}` : ''
      ].filter(Boolean);
      const status = r.status ? words.review.statuses[r.status] : words.review.notReviewed;
      lines.push(`- **${status}**: ${inline(r.text) || '…'} (${meta.join(', ')})`);
      if (lines.length >= MARKDOWN_CHUNK_LINES) {
        yield `${lines.join('\n')}\n`;
        lines = [];
      }
    }
  }

  lines.push('', `## ${t.results}`, '');
  if (data.factors.length === 0) lines.push(t.noResults);
  else {
    lines.push(`| ${t.number} | ${t.factor} | ${t.n} | ${t.unknown} | ${t.mean} | ${t.consensus} | ${t.labels} |`, '|---:|---|---:|---:|---:|---:|---|');
    for (const f of data.factors) {
      const labels = [f.weak ? t.weak : '', f.divergent ? t.divergent : '', f.unclear ? t.unclear : ''].filter(Boolean).join(', ');
      lines.push(`| ${f.number} | ${cell(f.title)} | ${f.n} | ${f.unknown} | ${fmt(f.mean, lang)} | ${fmt(f.consensus, lang)} | ${labels} |`);
    }
  }

  lines.push('', `## ${t.attention}`, '');
  if (data.attention.length === 0) lines.push(t.noAttention);
  // One numbering: the list's own; the factor number is said in words.
  data.attention.forEach((a, i) => {
    lines.push(`${i + 1}. **${escapeMarkdown(a.title)}** (${t.factorRef(a.number)}): ${attentionReasons(a, lang, words).join('; ')}`);
  });

  const commented = data.factors.filter((f) => f.comments.length > 0);
  if (commented.length > 0) {
    lines.push('', `## ${t.comments}`);
    for (const f of commented) {
      lines.push('', `### ${f.number}. ${escapeMarkdown(f.title)}`, '');
      for (const c of f.comments) {
        lines.push(`- ${inline(c)}`);
        if (lines.length >= MARKDOWN_CHUNK_LINES) {
          yield `${lines.join('\n')}\n`;
          lines = [];
        }
      }
    }
  }

  lines.push('', `## ${t.actions}`, '');
  if (data.actions.length === 0) lines.push(t.noActions);
  for (const a of sortedActions(data)) {
    const meta = [
      words.actions.statuses[a.status],
      a.factor === null ? t.general : `${t.factorRef(a.factor)} (${escapeMarkdown(titleOf(a.factor))})`,
      a.owner ? `${t.owner}: ${escapeMarkdown(a.owner)}` : '',
      a.due ? `${t.due}: ${humanDate(a.due, lang)}` : '',
      words.actions.votes(a.votes)
    ].filter(Boolean);
    lines.push(`- [${a.status === 'done' ? 'x' : ' '}] ${inline(a.text) || '…'} (${meta.join(', ')})`);
    if (lines.length >= MARKDOWN_CHUNK_LINES) {
      yield `${lines.join('\n')}\n`;
      lines = [];
    }
  }
  // The report ends with the action list (each chunk ends with a line break; nothing after the last line).
  if (lines.length > 0) yield `${lines.join('\n').trimEnd()}\n`;
}
