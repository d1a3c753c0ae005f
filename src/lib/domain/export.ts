import type { Framework, Language } from './framework';
import type { FactorStats } from './statistics';
import type { ActionPoint } from '../board/actions';
import type { RoundResults } from '../protocol';
import type { Phase } from './phases';

/** The export JSON of DESIGN.md (extended with rounds and attention). */
export interface ExportJson {
  session: { code: string; title: string; language: Language; phase: Phase; createdAt: string };
  participants: number;
  round: number | null;
  /** `comments`: what the room saw after the reveal (text only, sorted; hidden ones left out). */
  factors: (FactorStats & { id: string; title: string; comments: string[] })[];
  attention: { number: number; title: string; weak: boolean; divergent: boolean; mean: number | null; consensus: number | null }[];
  actions: { factor: number | null; text: string; owner: string | null; due: string | null; status: ActionPoint['status']; votes: number }[];
  rounds: { round: number; voters: number; factors: { number: number; n: number; mean: number | null; consensus: number | null }[] }[];
}

export interface ExportInput {
  session: { code: string; title: string; language: Language; phase: Phase; createdAt: number };
  participants: number;
  framework: Framework;
  results: RoundResults[];
  actions: ActionPoint[];
  dotTotals: Record<string, number>;
}

/** Builds the export JSON: the latest revealed round, all rounds in brief, and the actions. */
export function buildExport(input: ExportInput): ExportJson {
  const { session, framework, results } = input;
  const latest = results.at(-1) ?? null;
  const lang = session.language;
  const titleOf = (n: number) => framework.factors[n - 1]?.title[lang] ?? `#${n}`;
  return {
    session: { code: session.code, title: session.title, language: lang, phase: session.phase, createdAt: new Date(session.createdAt).toISOString() },
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
    }))
  };
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  // Cells starting with these would run as formulas in spreadsheet programs.
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r;]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvRows(rows: unknown[][]): string {
  return rows.map((row) => row.map(csvCell).join(',')).join('\r\n');
}

/** CSV: a table of factor statistics, a table of anonymised ballots, and a table of actions, separated by blank lines. */
export function exportCsv(data: ExportJson, ballots: { voter: string; round: number; answers: (string | number | null)[] }[]): string {
  const factorTable = [
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
      'divergent'
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
      f.distribution['1'],
      f.distribution['2'],
      f.distribution['3'],
      f.distribution['4'],
      f.distribution['5'],
      f.weak,
      f.divergent
    ])
  ];
  const factorCount = data.factors.length || (ballots[0]?.answers.length ?? 0);
  const ballotTable = [
    ['voter', 'round', ...Array.from({ length: factorCount }, (_, i) => `factor_${i + 1}`)],
    ...ballots.map((b) => [b.voter, b.round, ...b.answers])
  ];
  const actionTable = [
    ['factor', 'text', 'owner', 'due', 'status', 'votes'],
    ...data.actions.map((a) => [a.factor, a.text, a.owner, a.due, a.status, a.votes])
  ];
  return `${csvRows(factorTable)}\r\n\r\n${csvRows(ballotTable)}\r\n\r\n${csvRows(actionTable)}\r\n`;
}

/** Escapes text so Markdown renders it literally (no links, HTML or emphasis from user input). */
export function escapeMarkdown(text: string): string {
  // Entities first: a backslash before "&gt;" would make Markdown show "&gt;" literally.
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_{}[\]()#+\-.!|~]/g, (c) => `\\${c}`)
    .replace(/\r?\n/g, ' ');
}

const MD = {
  nl: {
    results: 'Resultaten',
    date: 'Datum',
    code: 'Sessiecode',
    participants: 'Deelnemers',
    round: 'Ronde',
    factor: 'Factor',
    mean: 'Gem.',
    consensus: 'Consensus',
    noResults: 'Nog geen resultaten onthuld.',
    attention: 'Aandachtspunten',
    noAttention: 'Geen zwakke of verdeelde factoren.',
    weak: 'zwak',
    divergent: 'verdeeld',
    actions: 'Actiepunten',
    noActions: 'Nog geen actiepunten.',
    general: 'Algemeen',
    owner: 'eigenaar',
    due: 'uiterlijk',
    votes: (n: number) => (n === 1 ? '1 stem' : `${n} stemmen`),
    status: { open: 'open', doing: 'bezig', done: 'klaar' }
  },
  en: {
    results: 'Results',
    date: 'Date',
    code: 'Session code',
    participants: 'Participants',
    round: 'Round',
    factor: 'Factor',
    mean: 'Mean',
    consensus: 'Consensus',
    noResults: 'No results revealed yet.',
    attention: 'Needs attention',
    noAttention: 'No weak or divergent factors.',
    weak: 'weak',
    divergent: 'divergent',
    actions: 'Action points',
    noActions: 'No action points yet.',
    general: 'General',
    owner: 'owner',
    due: 'due',
    votes: (n: number) => (n === 1 ? '1 vote' : `${n} votes`),
    status: { open: 'open', doing: 'doing', done: 'done' }
  }
} as const;

function fmt(value: number | null, lang: Language, digits = 2): string {
  return value === null ? '–' : value.toLocaleString(lang === 'nl' ? 'nl-NL' : 'en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** An agenda-ready Markdown report: summary, results table, attention list, actions by factor. */
export function exportMarkdown(data: ExportJson, framework: Framework): string {
  const lang = data.session.language;
  const t = MD[lang];
  const lines: string[] = [];
  lines.push(`# ${escapeMarkdown(data.session.title)}`, '');
  lines.push(`- ${t.date}: ${data.session.createdAt.slice(0, 10)}`, `- ${t.code}: ${data.session.code}`, `- ${t.participants}: ${data.participants}`);
  if (data.round !== null) lines.push(`- ${t.round}: ${data.round}`);
  lines.push('', `## ${t.results}`, '');
  if (data.factors.length === 0) lines.push(t.noResults);
  else {
    lines.push(`| # | ${t.factor} | n | ${t.mean} | ${t.consensus} | |`, '|---:|---|---:|---:|---:|---|');
    for (const f of data.factors) {
      const labels = [f.weak ? t.weak : '', f.divergent ? t.divergent : ''].filter(Boolean).join(', ');
      lines.push(`| ${f.number} | ${escapeMarkdown(f.title)} | ${f.n} | ${fmt(f.mean, lang)} | ${fmt(f.consensus, lang)} | ${labels} |`);
    }
  }
  lines.push('', `## ${t.attention}`, '');
  if (data.attention.length === 0) lines.push(t.noAttention);
  for (const a of data.attention) {
    const reasons = [
      a.weak ? `${t.weak} (${t.mean.toLowerCase()} ${fmt(a.mean, lang)})` : '',
      a.divergent ? `${t.divergent} (${t.consensus.toLowerCase()} ${fmt(a.consensus, lang)})` : ''
    ].filter(Boolean);
    lines.push(`1. **${a.number}. ${escapeMarkdown(a.title)}**: ${reasons.join('; ')}`);
  }
  lines.push('', `## ${t.actions}`, '');
  if (data.actions.length === 0) lines.push(t.noActions);
  const groups = new Map<number | null, typeof data.actions>();
  for (const action of [...data.actions].sort((a, b) => b.votes - a.votes)) {
    const list = groups.get(action.factor) ?? [];
    list.push(action);
    groups.set(action.factor, list);
  }
  const order = [...groups.keys()].sort((a, b) => (a ?? Infinity) - (b ?? Infinity));
  for (const factor of order) {
    const title = factor === null ? t.general : `${factor}. ${framework.factors[factor - 1]?.title[lang] ?? ''}`;
    lines.push(`### ${escapeMarkdown(title)}`, '');
    for (const a of groups.get(factor)!) {
      const meta = [
        `${t.status[a.status]}`,
        a.owner ? `${t.owner}: ${escapeMarkdown(a.owner)}` : '',
        a.due ? `${t.due}: ${a.due}` : '',
        t.votes(a.votes)
      ].filter(Boolean);
      lines.push(`- [${a.status === 'done' ? 'x' : ' '}] ${escapeMarkdown(a.text) || '…'} (${meta.join(', ')})`);
    }
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
