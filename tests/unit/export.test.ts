import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ActionPoint } from '../../src/lib/board/actions';
import type { Answer } from '../../src/lib/domain/ballots';
import ExcelJS from 'exceljs';
import { buildExport, escapeMarkdown, exportCsv, exportMarkdown, markdownChunks, type CsvTable, type ExportInput } from '../../src/lib/domain/export';
import { exportWords } from '../../src/lib/i18n/catalogues';
import { exportXlsx } from '../../server/exports/xlsx';
import type { Language } from '../../src/lib/domain/framework';
import { parseFramework } from '../../src/lib/domain/framework-schema';
import { computeRoundResults } from '../../src/lib/domain/results';
import { DEFAULT_THRESHOLDS } from '../../src/lib/domain/statistics';

const framework = parseFramework(JSON.parse(fs.readFileSync(new URL('../../content/frameworks/seeds-of-innovation.json', import.meta.url), 'utf8')), 'seeds');

// Factor 1 gets [1,2,2,3,5] (weak, divergent); factor 3 gets [4,4,4,4,5]; factor 6 only "don't know" (unclear); the rest 4.
const scores1: Answer[] = [1, 2, 2, 3, 5];
const voters = scores1.map((s, i) => ({
  id: `p${i}`,
  name: `P${i}`,
  group: null,
  answers: new Map<number, Answer>(
    Array.from({ length: 12 }, (_, f): [number, Answer] => [f + 1, f === 0 ? s : f === 2 ? (i === 4 ? 5 : 4) : f === 5 ? 'unknown' : 4])
  )
}));
const comments = [
  { factor: 1, text: 'Zie *notulen* <b>2025</b> & R&D in West-Holland' },
  { factor: 1, text: '- begint als lijst\nen loopt door' },
  { factor: 3, text: 'Prima' }
];
const round1 = computeRoundResults({ round: 1, factorCount: 12, thresholds: DEFAULT_THRESHOLDS, anonymous: true, voters, comments });

const action = (id: string, factor: number | null, text: string, extra: Partial<ActionPoint> = {}): ActionPoint => ({
  id,
  factor,
  text,
  owner: null,
  due: null,
  status: 'open',
  createdAt: 0,
  ...extra
});

function input(language: Language, overrides: Partial<ExportInput> = {}): ExportInput {
  return {
    session: {
      code: 'ABC234',
      title: 'Greenport <b>kick-off</b>',
      language,
      phase: 'actions',
      createdAt: Date.UTC(2026, 10, 28, 9, 30),
      timeZone: 'Europe/Amsterdam'
    },
    participants: 6,
    framework,
    results: [round1],
    actions: [
      action('a1', 1, 'Plan a kick-off', { owner: 'Ann', due: '2026-12-01', status: 'doing' }),
      action('a2', null, 'General idea'),
      action('a3', 3, '=1+1', { status: 'done' }),
      action('a4', 1, 'Second for factor one')
    ],
    dotTotals: { a1: 2, a3: 1, a4: 5 },
    ...overrides
  };
}

describe('buildExport', () => {
  const data = buildExport(input('en'));

  it('has the keys of docs/contracts.md', () => {
    expect(Object.keys(data.session).sort()).toEqual(['code', 'createdAt', 'date', 'language', 'phase', 'timeZone', 'title']);
    expect(data.session).toEqual({
      code: 'ABC234',
      title: 'Greenport <b>kick-off</b>',
      language: 'en',
      phase: 'actions',
      createdAt: '2026-11-28T09:30:00.000Z',
      date: '2026-11-28',
      timeZone: 'Europe/Amsterdam'
    });
    expect(data.participants).toBe(6);
    expect(data.factors).toHaveLength(12);
    for (const f of data.factors) {
      expect(Object.keys(f).sort()).toEqual([
        'comments',
        'consensus',
        'distribution',
        'divergent',
        'id',
        'mean',
        'median',
        'n',
        'number',
        'stddev',
        'title',
        'unclear',
        'unknown',
        'weak'
      ]);
      expect(Object.keys(f.distribution!).sort()).toEqual(['1', '2', '3', '4', '5']);
    }
    for (const a of data.actions) expect(Object.keys(a).sort()).toEqual(['due', 'factor', 'owner', 'status', 'text', 'votes']);
  });

  it('fills factor values, ids and titles in the session language', () => {
    expect(data.factors[0]).toMatchObject({
      number: 1,
      id: framework.factors[0].id,
      title: framework.factors[0].title.en,
      n: 5,
      unknown: 0,
      mean: 2.6,
      median: 2,
      consensus: 0.464,
      weak: true,
      divergent: true
    });
    expect(data.factors[2]).toMatchObject({ number: 3, n: 5, mean: 4.2, median: 4, weak: false, distribution: { '1': 0, '2': 0, '3': 0, '4': 4, '5': 1 } });
    expect(data.factors[5]).toMatchObject({ number: 6, n: 0, unknown: 5, mean: null, consensus: null, weak: false, divergent: false });
    expect(buildExport(input('nl')).factors[0].title).toBe(framework.factors[0].title.nl);
  });

  it('lists actions with their dot totals (0 when none)', () => {
    expect(data.actions).toEqual([
      { factor: 1, text: 'Plan a kick-off', owner: 'Ann', due: '2026-12-01', status: 'doing', votes: 2 },
      { factor: null, text: 'General idea', owner: null, due: null, status: 'open', votes: 0 },
      { factor: 3, text: '=1+1', owner: null, due: null, status: 'done', votes: 1 },
      { factor: 1, text: 'Second for factor one', owner: null, due: null, status: 'open', votes: 5 }
    ]);
  });

  it('uses the latest round and summarises all rounds', () => {
    const round2 = { ...round1, round: 2, voters: 4 };
    const twice = buildExport(input('en', { results: [round1, round2] }));
    expect(twice.round).toBe(2);
    expect(twice.rounds.map((r) => [r.round, r.voters])).toEqual([
      [1, 5],
      [2, 4]
    ]);
    // Each round with the top-level factors' figures and its change since the round before (none in the first).
    expect(twice.rounds[0].factors[0]).toMatchObject({ number: 1, id: framework.factors[0].id, n: 5, mean: 2.6, consensus: 0.464, change: null });
    expect(twice.rounds[1].factors[0].change).toEqual({ mean: 0, consensus: 0 });
    expect(twice.rounds[1].factors[5].change).toEqual({ mean: null, consensus: null });
    // The report's header names both rounds under a plural word ("Rondes: 1, 2", not "Ronde: 1, 2").
    expect(exportMarkdown(twice, framework, exportWords('en'))).toMatch(/^- Rounds: 1, 2$/m);
    expect(exportMarkdown(buildExport(input('nl', { results: [round1, round2] })), framework, exportWords('nl'))).toMatch(/^- Rondes: 1, 2$/m);
    expect(exportMarkdown(buildExport(input('nl', { results: [round1] })), framework, exportWords('nl'))).toMatch(/^- Ronde: 1$/m);
    expect(data.attention).toEqual([
      { number: 1, title: framework.factors[0].title.en, weak: true, divergent: true, unclear: false, mean: 2.6, consensus: 0.464, unknownShare: 0 },
      { number: 6, title: framework.factors[5].title.en, weak: false, divergent: false, unclear: true, mean: null, consensus: null, unknownShare: 1 }
    ]);
    expect(data.factors[0].comments).toEqual(['- begint als lijst\nen loopt door', 'Zie *notulen* <b>2025</b> & R&D in West-Holland']);
    expect(data.factors[2].comments).toEqual(['Prima']);
  });

  it('has empty results before any reveal', () => {
    const none = buildExport(input('nl', { results: [], actions: [] }));
    expect(none.round).toBeNull();
    expect(none.factors).toEqual([]);
    expect(none.attention).toEqual([]);
    expect(none.rounds).toEqual([]);
    expect(none.actions).toEqual([]);
  });
});

describe('exportCsv', () => {
  const data = buildExport(input('en'));
  const ballots = [
    { voter: 'voter-1', group: 'Company', round: 1, answers: [1, 'unknown', 4, null, 5, 5, 5, 5, 5, 5, 5, 5] },
    { voter: '=cmd|/C calc', round: 1, answers: new Array(12).fill(3) }
  ];
  const lines = (table?: CsvTable) => exportCsv(data, ballots, table).split('\r\n');

  it('writes one table per request (factors by default), RFC 4180 with CRLF and a final line break', () => {
    const factors = lines();
    expect(factors[0]).toBe(
      'factor,id,title,n,unknown,mean,median,stddev,consensus,score_1,score_2,score_3,score_4,score_5,weak,divergent,unclear,round,mean_change,consensus_change'
    );
    expect(factors).toHaveLength(14);
    expect(factors.at(-1)).toBe('');
    expect(exportCsv(data, ballots)).not.toMatch(/\r\n\r\n/);
    expect(lines('ballots')[0]).toBe(`voter,round,${Array.from({ length: 12 }, (_, i) => `factor_${i + 1}`).join(',')},group`);
    expect(lines('actions')[0]).toBe('factor,text,owner,due,status,votes');
    expect(lines('comments')[0]).toBe('factor,comment,round');
  });

  it('writes factor values with dot decimals; null is empty', () => {
    const title = framework.factors[0].title.en;
    const titleCell = /[",;]/.test(title) ? `"${title.replace(/"/g, '""')}"` : title;
    const factors = lines();
    expect(factors[1]).toBe(`1,${framework.factors[0].id},${titleCell},5,0,2.6,2,1.356,0.464,1,2,1,0,1,true,true,false,1,,`);
    expect(factors[6].split(',').slice(3, 9)).toEqual(['0', '5', '', '', '', '']);
    expect(factors[6].endsWith(',true,1,,')).toBe(true);
    expect(lines('ballots')[1]).toBe('voter-1,1,1,unknown,4,,5,5,5,5,5,5,5,5,Company');
    expect(lines('comments')).toContain('3,Prima,1');
  });

  it('sorts actions by dots', () => {
    expect(
      lines('actions')
        .slice(1, 5)
        .map((l) => l.split(',')[1])
    ).toEqual(['Second for factor one', 'Plan a kick-off', "'=1+1", 'General idea']);
  });

  it.each<[string, string]>([
    ['=1+1', "'=1+1"],
    ['+SUM(A1)', "'+SUM(A1)"],
    ['-2+3', "'-2+3"],
    ['@cmd', "'@cmd"],
    ['\tTAB', "'\tTAB"],
    ['plain', 'plain'],
    ['a, b', '"a, b"'],
    ['a; b', '"a; b"'],
    ['say "hi"', '"say ""hi"""'],
    ['line\nbreak', '"line\nbreak"'],
    ['=HYPERLINK("http://x")', `"'=HYPERLINK(""http://x"")"`]
  ])('action text %j → cell %j', (text, cellText) => {
    const one = buildExport(input('en', { actions: [action('z', 2, text, { owner: text })], dotTotals: { z: 3 } }));
    expect(exportCsv(one, [], 'actions')).toBe(`factor,text,owner,due,status,votes\r\n2,${cellText},${cellText},,open,3\r\n`);
  });

  it('guards ballot voter labels and comments too', () => {
    expect(lines('ballots')[2].startsWith("'=cmd|/C calc,1,")).toBe(true);
    const evil = buildExport(input('en', { results: [{ ...round1, comments: [['=2+2'], ...round1.comments.slice(1)] }] }));
    expect(exportCsv(evil, [], 'comments')).toContain("1,'=2+2,1\r\n");
  });
});

describe('escapeMarkdown', () => {
  it.each<[string, string]>([
    ['plain text', 'plain text'],
    ['West-Holland 3.5 (2025) #1 R&D a+b', 'West-Holland 3.5 (2025) #1 R&D a+b'],
    ['<script>alert(1)</script>', '\\<script\\>alert(1)\\</script\\>'],
    ['[link](x)', '\\[link\\](x)'],
    ['![img](y)', '!\\[img\\](y)'],
    ['**bold**', '\\*\\*bold\\*\\*'],
    ['_em_ `code` snake_case', '\\_em\\_ \\`code\\` snake_case'],
    ['~~strike~~', '\\~\\~strike\\~\\~'],
    ['back\\slash', 'back\\\\slash'],
    ['&amp; &#60; & R&D', '\\&amp; \\&#60; & R&D'],
    ['two\nlines\r\nhere', 'two lines here']
  ])('%j → %j', (text, escaped) => {
    expect(escapeMarkdown(text)).toBe(escaped);
  });

  it('escapes the cell separator only in tables', () => {
    expect(escapeMarkdown('a | b')).toBe('a | b');
    expect(escapeMarkdown('a | b', { table: true })).toBe('a \\| b');
  });
});

describe('exportMarkdown', () => {
  const evil = [
    action('e1', 1, '<script>alert(1)</script> [link](x) **bold**', { owner: '[Ann](http://evil)', status: 'done' }),
    action('e2', null, 'General thing'),
    action('e3', 3, '- Third'),
    action('e4', 1, 'Most dotted')
  ];
  // Equal dots keep the board's order.
  const md = (lang: Language) => exportMarkdown(buildExport(input(lang, { actions: evil, dotTotals: { e4: 3, e1: 1 } })), framework, exportWords(lang));

  it.each<{ lang: Language; headings: string[]; row: string; attention: string[]; actions: string[] }>([
    {
      lang: 'en',
      headings: ['## Results', '## Needs attention', '## Comments', '## Action points'],
      row: `| 1 | ${framework.factors[0].title.en} | 5 | 0 | 2.60 | 0.46 | weak, divergent |`,
      attention: [
        `1. **${framework.factors[0].title.en}** (factor 1): weak (mean 2.60); divergent (consensus 0.46)`,
        `2. **${framework.factors[5].title.en}** (factor 6): unclear (100% don't know)`
      ],
      actions: [
        `- [ ] Most dotted — open · factor 1: ${framework.factors[0].title.en} · 3 dots`,
        `- [x] \\<script\\>alert(1)\\</script\\> \\[link\\](x) \\*\\*bold\\*\\* — done · factor 1: ${framework.factors[0].title.en} · owner: \\[Ann\\](http://evil) · 1 dot`,
        '- [ ] General thing — open · general · 0 dots',
        `- [ ] \\- Third — open · factor 3: ${framework.factors[2].title.en} · 0 dots`
      ]
    },
    {
      lang: 'nl',
      headings: ['## Resultaten', '## Aandachtspunten', '## Toelichtingen', '## Actiepunten'],
      row: `| 1 | ${framework.factors[0].title.nl} | 5 | 0 | 2,60 | 0,46 | zwak, verdeeld |`,
      attention: [
        `1. **${framework.factors[0].title.nl}** (factor 1): zwak (gemiddelde 2,60); verdeeld (consensus 0,46)`,
        `2. **${framework.factors[5].title.nl}** (factor 6): onduidelijk (100% weet het niet)`
      ],
      actions: [
        `- [ ] Most dotted — open · factor 1: ${framework.factors[0].title.nl} · 3 stippen`,
        `- [x] \\<script\\>alert(1)\\</script\\> \\[link\\](x) \\*\\*bold\\*\\* — klaar · factor 1: ${framework.factors[0].title.nl} · eigenaar: \\[Ann\\](http://evil) · 1 stip`,
        '- [ ] General thing — open · algemeen · 0 stippen',
        `- [ ] \\- Third — open · factor 3: ${framework.factors[2].title.nl} · 0 stippen`
      ]
    }
  ])('$lang: headings, table, one numbering in the attention list, comments, actions by dots', ({ lang, headings, row, attention, actions }) => {
    const text = md(lang);
    const lines = text.split('\n');
    for (const h of headings) expect(lines).toContain(h);
    expect(lines).toContain(row);
    const at = lines.indexOf(headings[1]);
    expect(lines.slice(at + 2, at + 4)).toEqual(attention);
    const act = lines.indexOf(headings[3]);
    expect(lines.slice(act + 2)).toEqual([...actions, '']);
    // Comments per factor, as text: block markers and markup escaped, the rest left alone.
    const com = lines.indexOf(headings[2]);
    // A comment's lines stay lines: a hard break, the next line indented under the item, each line escaped on its own.
    expect(lines.slice(com + 1, com + 7)).toEqual([
      '',
      `### 1. ${framework.factors[0].title[lang]}`,
      '',
      '- \\- begint als lijst\\',
      '  en loopt door',
      '- Zie \\*notulen\\* \\<b\\>2025\\</b\\> & R&D in West-Holland'
    ]);
    expect(text.startsWith('# Greenport \\<b\\>kick-off\\</b\\>\n')).toBe(true);
    expect(text).toMatch(/^- [^:]+: ABC234$/m);
    // The day in the language's own format, never ISO (which a Dutch reader may take the wrong way round).
    expect(text).toMatch(lang === 'nl' ? /^- [^:]+: 28 nov\.? 2026$/m : /^- [^:]+: 28 Nov 2026$/m);
    expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}/);
    // No HTML entities anywhere, and nothing of the other language.
    expect(text).not.toMatch(/&(amp|lt|gt|quot);/);
    if (lang === 'nl') expect(text).not.toMatch(/\b(votes?|owner|due|general|weak)\b/);
  });

  it('keeps the lines of a multi-line action point, each escaped, without a blank line ending the item', () => {
    const steps = action('m1', 2, 'Stap 1: agenda\n\n# Stap 2\r\n  - Stap 3 ', { owner: 'Ann' });
    const text = exportMarkdown(buildExport(input('en', { actions: [steps], dotTotals: {} })), framework, exportWords('en'));
    const at = text.split('\n').findIndex((line) => line.startsWith('- [ ] Stap 1'));
    expect(text.split('\n').slice(at, at + 3)).toEqual([
      '- [ ] Stap 1: agenda\\',
      '  \\# Stap 2\\',
      `  \\- Stap 3 — open · factor 2: ${framework.factors[1].title.en} · owner: Ann · 0 dots`
    ]);
  });

  it('states when there are no results and no actions', () => {
    const en = exportMarkdown(buildExport(input('en', { results: [], actions: [] })), framework, exportWords('en'));
    expect(en).toContain('No results revealed yet.');
    expect(en).toContain('No action points yet.');
    expect(en).not.toContain('- Round:');
    expect(en).not.toContain('## Comments');
    const nl = exportMarkdown(buildExport(input('nl', { results: [], actions: [] })), framework, exportWords('nl'));
    expect(nl).toContain('Nog geen resultaten onthuld.');
    expect(nl).toContain('Nog geen actiepunten.');
  });
});

describe('markdownChunks', () => {
  it('gives the report in chunks of whole lines that join to exactly the report, at chunk boundaries too', () => {
    for (const count of [0, 1, 199, 200, 201, 400, 450]) {
      const actions = Array.from({ length: count }, (_, i) => action(`c${i}`, (i % 12) + 1, `Point ${i}  `));
      const data = buildExport(input('en', { actions }));
      const chunks = [...markdownChunks(data, framework, exportWords('en'))];
      const md = chunks.join('');
      expect(md).toBe(exportMarkdown(data, framework, exportWords('en')));
      for (const chunk of chunks) expect(chunk.endsWith('\n')).toBe(true);
      if (count >= 400) expect(chunks.length).toBeGreaterThan(2);
      // One line break at the end, no blank line doubled where a chunk ends, every point on its own line, in order.
      expect(md.endsWith('\n') && !md.endsWith('\n\n')).toBe(true);
      expect(md).not.toContain('\n\n\n');
      const lines = md.split('\n');
      const points = lines.flatMap((line, at) => (line.startsWith('- [ ] Point ') ? [at] : []));
      expect(points).toHaveLength(count);
      points.forEach((at, i) => expect(at).toBe(points[0] + i));
    }
  });
});

describe('exportXlsx', () => {
  it('writes a sheet per table with headers in the session language; numbers are numbers, read back with exceljs', async () => {
    const data = buildExport(input('nl'));
    const buffer = await exportXlsx(data, [{ voter: 'V1', round: 1, answers: [1, 'unknown', 4, null, 5, 5, 5, 5, 5, 5, 5, 5] }]);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(buffer as unknown as ArrayBuffer);
    expect(book.worksheets.map((w) => w.name)).toEqual(['Resultaten', 'Aandachtspunten', 'Toelichtingen', 'Actiepunten', 'Antwoorden']);
    const factors = book.getWorksheet('Resultaten')!;
    expect(factors.getRow(1).values).toEqual([
      undefined,
      'Ronde',
      'Nr.',
      'Factor',
      'Scores',
      'Weet niet',
      'Gemiddelde',
      'Mediaan',
      'Standaardafwijking',
      'Consensus',
      'Score 1',
      'Score 2',
      'Score 3',
      'Score 4',
      'Score 5',
      'Labels',
      'Verandering gemiddelde',
      'Verandering consensus'
    ]);
    const first = factors.getRow(2);
    expect(first.getCell(1).value).toBe(1);
    expect(first.getCell(2).value).toBe(1);
    expect(first.getCell(3).value).toBe(framework.factors[0].title.nl);
    expect(first.getCell(6).value).toBe(2.6);
    expect(typeof first.getCell(6).value).toBe('number');
    expect(first.getCell(9).value).toBe(0.464);
    expect(first.getCell(6).numFmt).toBe('0.00');
    expect(first.getCell(15).value).toBe('zwak, verdeeld');
    expect(factors.getRow(7).getCell(6).value).toBeNull();
    const actions = book.getWorksheet('Actiepunten')!;
    expect(actions.getRow(1).values).toEqual([undefined, 'Actie', 'Nr.', 'Factor', 'Eigenaar', 'Uiterlijk', 'Status', 'Stippen']);
    expect(actions.getRow(2).getCell(1).value).toBe('Second for factor one');
    expect(actions.getRow(2).getCell(7).value).toBe(5);
    const due = actions.getRow(3).getCell(5).value;
    expect(due instanceof Date && due.toISOString().slice(0, 10)).toBe('2026-12-01');
    // Text that looks like a formula stays text.
    const formula = actions.getRow(4).getCell(1);
    expect(formula.value).toBe('=1+1');
    expect(formula.type).toBe(ExcelJS.ValueType.String);
    const comments = book.getWorksheet('Toelichtingen')!;
    expect(comments.getRow(2).values).toEqual([undefined, 1, 1, framework.factors[0].title.nl, '- begint als lijst\nen loopt door']);
    const ballots = book.getWorksheet('Antwoorden')!;
    expect(ballots.getRow(1).getCell(2).value).toBe('Groep');
    expect(ballots.getRow(2).values).toEqual([undefined, 'V1', '', 1, 1, 'Weet niet', 4, undefined, 5, 5, 5, 5, 5, 5, 5, 5]);
  });
});

describe('empty action points', () => {
  it('leaves out a point nobody wrote in, owned, dated or dotted, and keeps every other', () => {
    const data = buildExport(
      input('nl', {
        actions: [
          action('empty', null, '  '),
          action('text', 1, 'Bezoek plannen'),
          action('owned', 2, '', { owner: 'Sam' }),
          action('dated', 3, '', { due: '2027-01-15' }),
          action('dotted', null, '')
        ],
        dotTotals: { dotted: 2 }
      })
    );
    expect(data.actions.map((a) => [a.text, a.owner, a.due, a.votes])).toEqual([
      ['Bezoek plannen', null, null, 0],
      ['', 'Sam', null, 0],
      ['', null, '2027-01-15', 0],
      ['', null, null, 2]
    ]);
    expect(
      exportCsv(data, [], 'actions')
        .split('\n')
        .filter((line) => line.trim() !== '')
    ).toHaveLength(5);
  });
});
