/**
 * Issue 23: every export holds every revealed round (comments, results and the shift between
 * rounds, each labelled by its round), and Markdown never nests parentheses.
 */
import fs from 'node:fs';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import type { Answer } from '../../src/lib/domain/ballots';
import { buildExport, csvChunks, exportCsv, exportMarkdown, importableExport, type ExportInput } from '../../src/lib/domain/export';
import { ImportExportRequest } from '../../src/lib/protocol/schemas';
import type { Framework, Language } from '../../src/lib/domain/framework';
import { parseFramework } from '../../src/lib/domain/framework-schema';
import { computeRoundResults } from '../../src/lib/domain/results';
import { DEFAULT_THRESHOLDS } from '../../src/lib/domain/statistics';
import { exportXlsx } from '../../server/exports/xlsx';
import { exportWords } from '../../src/lib/i18n/catalogues';

const framework = parseFramework(JSON.parse(fs.readFileSync(new URL('../../content/frameworks/seeds-of-innovation.json', import.meta.url), 'utf8')), 'seeds');

/** Five voters; factor 1 scored `first` by everyone (so the shift of its mean is known), the rest 4. */
function round(n: number, first: Answer, comments: { factor: number; text: string }[]) {
  const voters = Array.from({ length: 5 }, (_, i) => ({
    id: `p${i}`,
    name: `P${i}`,
    group: null,
    answers: new Map<number, Answer>(Array.from({ length: 12 }, (_, f): [number, Answer] => [f + 1, f === 0 ? first : 4]))
  }));
  return computeRoundResults({ round: n, factorCount: 12, thresholds: DEFAULT_THRESHOLDS, anonymous: true, voters, comments });
}

const round1 = round(1, 2, [
  { factor: 1, text: 'Eerste ronde: te weinig tijd' },
  { factor: 5, text: 'Eerste ronde over vijf' }
]);
const round2 = round(2, 4, [{ factor: 1, text: 'Tweede ronde: beter' }]);

function input(language: Language, overrides: Partial<ExportInput> = {}): ExportInput {
  return {
    session: { code: 'ABC234', title: 'Groeiplan', language, phase: 'actions', createdAt: Date.UTC(2026, 11, 6, 9), timeZone: 'Europe/Amsterdam' },
    participants: 5,
    framework,
    results: [round1, round2],
    actions: [],
    dotTotals: {},
    ...overrides
  };
}

const ballots = [
  { voter: 'V1', round: 1, answers: new Array<Answer>(12).fill(4) },
  { voter: 'V1', round: 2, answers: new Array<Answer>(12).fill(4) }
];

describe('two rounds with comments in each', () => {
  it('export.json: rounds[] oldest first, each with its voters, factors, change and comments; the top level stays the latest round', () => {
    const data = buildExport(input('nl'));
    expect(data.round).toBe(2);
    expect(data.factors[0].comments).toEqual(['Tweede ronde: beter']);
    expect(data.rounds.map((r) => r.round)).toEqual([1, 2]);
    expect(data.rounds[0].comments).toEqual([
      { factor: 1, text: 'Eerste ronde: te weinig tijd' },
      { factor: 5, text: 'Eerste ronde over vijf' }
    ]);
    expect(data.rounds[1].comments).toEqual([{ factor: 1, text: 'Tweede ronde: beter' }]);
    expect(data.rounds[0].factors[0]).toMatchObject({ number: 1, title: framework.factors[0].title.nl, mean: 2, change: null });
    expect(data.rounds[1].factors[0]).toMatchObject({ number: 1, mean: 4, change: { mean: 2 } });
    expect(data.rounds[1].factors[1].change).toEqual({ mean: 0, consensus: 0 });
  });

  it.each<[Language, string[], string]>([
    ['nl', ['### Ronde 1 (5 deelnemers)', '### Ronde 2 (5 deelnemers)', '## Verschuiving ronde 1 → 2', '### Ronde 1', '### Ronde 2'], '| 1 | '],
    ['en', ['### Round 1 (5 participants)', '### Round 2 (5 participants)', '## Shift round 1 → 2', '### Round 1', '### Round 2'], '| 1 | ']
  ])('Markdown (%s): results, shift and comments of each round under its round', (lang, headings) => {
    const md = exportMarkdown(buildExport(input(lang)), framework, exportWords(lang));
    const lines = md.split('\n');
    for (const h of headings) expect(lines).toContain(h);
    // Each round's comments under that round's heading, round 1's first.
    const comments = lines.indexOf(lang === 'nl' ? '## Toelichtingen' : '## Comments');
    const first = lines.indexOf(headings[3], comments);
    const second = lines.indexOf(headings[4], comments);
    expect(comments).toBeGreaterThan(0);
    expect(first).toBeGreaterThan(comments);
    expect(second).toBeGreaterThan(first);
    const inFirst = lines.slice(first, second);
    expect(inFirst).toContain('- Eerste ronde: te weinig tijd');
    expect(inFirst).toContain('- Eerste ronde over vijf');
    expect(inFirst).toContain(`#### 5. ${framework.factors[4].title[lang]}`);
    expect(lines.slice(second)).toContain('- Tweede ronde: beter');
    expect(lines.slice(second)).not.toContain('- Eerste ronde over vijf');
    // The shift: factor 1 went from 2 to 4.
    const shift = lines.indexOf(headings[2]);
    expect(lines.slice(shift).find((l) => l.startsWith('| 1 | '))).toBe(
      `| 1 | ${framework.factors[0].title[lang]} | 2,00 | 4,00 | +2,00 | 0,00 |`.replace(/,/g, lang === 'nl' ? ',' : '.')
    );
  });

  it('CSV: the comments table and the factors table hold both rounds, with a round column', () => {
    const data = buildExport(input('en'));
    expect(exportCsv(data, ballots, 'comments')).toBe(
      'factor,comment,round\r\n1,Eerste ronde: te weinig tijd,1\r\n5,Eerste ronde over vijf,1\r\n1,Tweede ronde: beter,2\r\n'
    );
    const factors = exportCsv(data, ballots, 'factors').trimEnd().split('\r\n');
    expect(factors).toHaveLength(1 + 2 * 12);
    expect(factors[1].split(',').slice(-3)).toEqual(['1', '', '']);
    expect(factors[13].split(',').slice(-3)).toEqual(['2', '2', '0']);
    expect(factors[13].split(',')[5]).toBe('4');
  });

  it('CSV in chunks of whole rows joins to exactly the table, for a table of thousands of comments', () => {
    const many = Array.from({ length: 2500 }, (_, i) => ({ factor: (i % 12) + 1, text: `Toelichting ${String(i).padStart(4, '0')}, "met" komma` }));
    const data = buildExport(input('nl', { results: [round(1, 2, many), round2] }));
    const chunks = [...csvChunks(data, ballots, 'comments')];
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks) expect(chunk.endsWith('\r\n')).toBe(true);
    expect(chunks.join('')).toBe(exportCsv(data, ballots, 'comments'));
    expect(exportCsv(data, ballots, 'comments').split('\r\n')).toHaveLength(1 + 2500 + 1 + 1);
  });

  it('XLSX: results and comments sheets with a round column for both rounds; a note on the answers when labels are pseudonyms', async () => {
    const data = buildExport(input('nl'));
    const book = new ExcelJS.Workbook();
    await book.xlsx.load((await exportXlsx(data, ballots, { pseudonyms: true })) as unknown as ArrayBuffer);
    const results = book.getWorksheet('Resultaten')!;
    expect(results.rowCount).toBe(1 + 2 * 12);
    expect(results.getRow(2).getCell(1).value).toBe(1);
    expect(results.getRow(14).getCell(1).value).toBe(2);
    expect(results.getRow(14).getCell(6).value).toBe(4);
    expect(results.getRow(14).getCell(16).value).toBe(2);
    const comments = book.getWorksheet('Toelichtingen')!;
    const rows = [2, 3, 4].map((r) => (comments.getRow(r).values as unknown[]).slice(1));
    expect(rows).toEqual([
      [1, 1, framework.factors[0].title.nl, 'Eerste ronde: te weinig tijd'],
      [1, 5, framework.factors[4].title.nl, 'Eerste ronde over vijf'],
      [2, 1, framework.factors[0].title.nl, 'Tweede ronde: beter']
    ]);
    const answers = book.getWorksheet('Antwoorden')!;
    expect(String(answers.getRow(1).getCell(1).value)).toMatch(/V1.*ronde 1.*V1.*ronde 2/);
    expect(answers.getRow(2).getCell(1).value).toBe('Stemmer');
    expect(answers.getRow(3).getCell(1).value).toBe('V1');

    // English, and a named session's answers (no pseudonyms) have no note.
    const en = new ExcelJS.Workbook();
    await en.xlsx.load((await exportXlsx(buildExport(input('en')), ballots, { pseudonyms: true })) as unknown as ArrayBuffer);
    expect(String(en.getWorksheet('Answers')!.getRow(1).getCell(1).value)).toMatch(/shuffled.*V1 in round 1.*V1 in round 2/);
    const named = new ExcelJS.Workbook();
    await named.xlsx.load((await exportXlsx(data, ballots)) as unknown as ArrayBuffer);
    expect(named.getWorksheet('Antwoorden')!.getRow(1).getCell(1).value).toBe('Stemmer');
  });

  it('a round withheld under k is labelled so and brings no comments', () => {
    const withheld = { ...round(2, 4, []), withheld: 'too_few_voters' as const, minVoters: 5, comments: Array.from({ length: 12 }, () => []) };
    const data = buildExport(input('nl', { results: [round1, withheld] }));
    expect(data.rounds[1].comments).toEqual([]);
    expect(exportMarkdown(data, framework, exportWords('nl'))).toContain('Te weinig deelnemers (minder dan 5): geen cijfers.');
    // The attention list of the withheld (latest) round says why it is empty: no praise for figures nobody saw.
    expect(data.attention).toEqual([]);
    const md = exportMarkdown(data, framework, exportWords('nl'));
    expect(md).toContain('Geen: te weinig mensen stemden om de cijfers van deze ronde te tonen.');
    expect(md).not.toContain('Geen zwakke, verdeelde of onduidelijke factoren.');
    // Round 1's comments stay.
    expect(exportCsv(data, [], 'comments')).toContain('Eerste ronde over vijf,1');
  });
});

describe('Markdown never nests parentheses', () => {
  /** The deepest nesting of round brackets in a line. */
  const depth = (line: string) => {
    let d = 0;
    let max = 0;
    for (const c of line) {
      if (c === '(') max = Math.max(max, ++d);
      else if (c === ')') d--;
    }
    return max;
  };

  it('an action and a review item on a factor whose title has brackets of its own', () => {
    const bracketed: Framework = {
      ...framework,
      factors: framework.factors.map((f) => (f.number === 9 ? { ...f, title: { nl: '(Verzekeren van) continuïteit', en: '(Securing) continuity' } } : f))
    };
    const data = buildExport({
      ...input('nl'),
      framework: bracketed,
      actions: [{ id: 'a', factor: 9, text: 'Borgen', owner: 'Ann', due: '2026-12-20', status: 'open', createdAt: 0 }],
      dotTotals: { a: 2 },
      review: [
        {
          key: 'OLD234/x',
          sessionCode: 'OLD234',
          sessionTitle: 'Vorige keer (november)',
          sessionDate: '2026-11-01',
          actionId: 'x',
          factor: 9,
          text: 'Nagaan',
          owner: null,
          due: null,
          boardStatus: 'open',
          review: null,
          carriedTo: null,
          decidedElsewhere: null
        }
      ]
    });
    const md = exportMarkdown(data, bracketed, exportWords(data.session.language));
    expect(md).toContain('factor 9: (Verzekeren van) continuïteit');
    expect(md).not.toContain('((');
    for (const line of md.split('\n')) expect(depth(line), line).toBeLessThanOrEqual(1);
  });
});

describe('importing an export of several rounds into a community', () => {
  it('sends only what the import reads (title, day, the latest round’s counts), not every round’s comments', () => {
    const data = buildExport(input('nl'));
    const sent = importableExport(JSON.parse(JSON.stringify(data))) as { factors: unknown[] };
    expect(ImportExportRequest.safeParse(sent).success).toBe(true);
    expect(JSON.stringify(sent)).not.toContain('ronde');
    expect(sent).toEqual({
      session: { title: 'Groeiplan', createdAt: data.session.createdAt, date: '2026-12-06' },
      factors: data.factors.map((f) => ({ number: f.number, distribution: f.distribution, unknown: f.unknown }))
    });
    // Something else is passed on as it is, for the server to refuse with its reasons.
    expect(importableExport([1])).toEqual([1]);
    expect(importableExport({ session: 'x' })).toEqual({ session: 'x' });
  });
});
