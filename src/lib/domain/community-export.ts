/**
 * Community exports (issue 14): CSV in long format (one row per session ×
 * factor), a Markdown summary for a yearly report, and the rows of the
 * spreadsheet. Built only from `trends.json`, i.e. from what each session
 * revealed and from paper aggregates: nothing per person.
 */
import type { Framework, Language } from './framework';
import { csvRows, escapeMarkdown, type ExportWords } from './export';
import { factorTrends, type TrendSession } from './community';
import { humanDate } from './dates';

export interface CommunityExportInput {
  community: { id: string; name: string };
  sessions: readonly TrendSession[];
  thresholds: { weakBelow: number; divergentBelow: number };
}

/** Machine-readable headers of the long format (the same in every language). */
export const COMMUNITY_CSV_HEADERS = [
  'session',
  'title',
  'date',
  'source',
  'voters',
  'factor',
  'n',
  'mean',
  'consensus',
  'weak',
  'divergent',
  'attention'
] as const;

/** One row per session × factor, sessions oldest first, factors by number. */
export function communityLongRows(data: CommunityExportInput): unknown[][] {
  return data.sessions.flatMap((s) =>
    s.factors.map((f) => [s.code, s.title, s.date, s.source, s.voters, f.number, f.n, f.mean, f.consensus, f.weak, f.divergent, s.attention.includes(f.number)])
  );
}

export function communityCsv(data: CommunityExportInput): string {
  return csvRows([[...COMMUNITY_CSV_HEADERS], ...communityLongRows(data)]);
}

const fmt = (value: number | null, lang: Language, digits = 2) =>
  value === null ? '–' : value.toLocaleString(lang === 'nl' ? 'nl-NL' : 'en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** A Markdown summary: the sessions, then per factor its mean and consensus over time and how often it was weak or divergent. */
export function communityMarkdown(data: CommunityExportInput, framework: Framework, lang: Language, words: ExportWords): string {
  const t = words.community;
  const cell = (text: string) => escapeMarkdown(text, { table: true });
  const lines: string[] = [`# ${escapeMarkdown(data.community.name)}`, '', `## ${t.sessions}`, ''];
  if (data.sessions.length === 0) lines.push(t.noTrend);
  else {
    lines.push(`| ${t.date} | ${t.session} | ${t.source} | ${t.voters} | ${t.attention} |`, '|---|---|---|---:|---|');
    for (const s of data.sessions) {
      const attention = s.attention.map((n) => `${n}. ${framework.factors[n - 1]?.title[lang] ?? ''}`).join('; ') || '–';
      lines.push(
        `| ${humanDate(s.date, lang)} | ${cell(s.title)} (${s.code}) | ${s.source === 'paper' ? t.paper : s.source === 'import' ? t.imported : t.live} | ${s.voters} | ${cell(attention)} |`
      );
    }
    lines.push('', `## ${t.trends}`, '');
    for (const trend of factorTrends(data.sessions, framework.factors.length)) {
      const title = framework.factors[trend.number - 1]?.title[lang] ?? `#${trend.number}`;
      const change = trend.meanChange === null ? '' : `, ${t.change.toLowerCase()}: ${trend.meanChange > 0 ? '+' : ''}${fmt(trend.meanChange, lang)}`;
      lines.push(
        `### ${trend.number}. ${escapeMarkdown(title)}`,
        '',
        `${t.timesWeak(trend.timesWeak)}, ${t.timesDivergent(trend.timesDivergent)}${change}.`,
        ''
      );
      lines.push(`| ${t.date} | ${words.results.mean} | ${words.results.consensus} | ${t.scores} |`, '|---|---:|---:|---:|');
      for (const p of trend.points) lines.push(`| ${humanDate(p.date, lang)} | ${fmt(p.mean, lang)} | ${fmt(p.consensus, lang)} | ${p.n} |`);
      lines.push('');
    }
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
