import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ActionPoint } from '../../src/lib/board/actions';
import type { Answer } from '../../src/lib/domain/ballots';
import { buildExport, escapeMarkdown, exportCsv, exportMarkdown, type ExportInput } from '../../src/lib/domain/export';
import type { Language } from '../../src/lib/domain/framework';
import { parseFramework } from '../../src/lib/domain/framework-schema';
import { computeRoundResults } from '../../src/lib/domain/results';
import { DEFAULT_THRESHOLDS } from '../../src/lib/domain/statistics';

const framework = parseFramework(JSON.parse(fs.readFileSync(new URL('../../content/frameworks/seeds-of-innovation.json', import.meta.url), 'utf8')), 'seeds');

// Factor 1 gets [1,2,2,3,5] (weak, divergent); factor 3 gets [4,4,4,4,5]; the rest "don't know".
const scores1: Answer[] = [1, 2, 2, 3, 5];
const voters = scores1.map((s, i) => ({
  id: `p${i}`,
  name: `P${i}`,
  group: null,
  answers: new Map<number, Answer>(Array.from({ length: 12 }, (_, f): [number, Answer] => [f + 1, f === 0 ? s : f === 2 ? (i === 4 ? 5 : 4) : 'unknown']))
}));
const round1 = computeRoundResults({ round: 1, factorCount: 12, thresholds: DEFAULT_THRESHOLDS, anonymous: true, voters });

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
    session: { code: 'ABC234', title: 'Greenport <b>kick-off</b>', language, phase: 'actions', createdAt: Date.UTC(2026, 10, 28, 9, 30) },
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

  it('has the keys of DESIGN.md', () => {
    expect(Object.keys(data.session).sort()).toEqual(['code', 'createdAt', 'language', 'phase', 'title']);
    expect(data.session).toEqual({
      code: 'ABC234',
      title: 'Greenport <b>kick-off</b>',
      language: 'en',
      phase: 'actions',
      createdAt: '2026-11-28T09:30:00.000Z'
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
        'unknown',
        'weak'
      ]);
      expect(Object.keys(f.distribution).sort()).toEqual(['1', '2', '3', '4', '5']);
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
    expect(twice.rounds[0].factors[0]).toEqual({ number: 1, n: 5, mean: 2.6, consensus: 0.464 });
    expect(data.attention).toEqual([{ number: 1, title: framework.factors[0].title.en, weak: true, divergent: true, mean: 2.6, consensus: 0.464 }]);
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
    { voter: 'voter-1', round: 1, answers: [1, 'unknown', 4, null, 5, 5, 5, 5, 5, 5, 5, 5] },
    { voter: '=cmd|/C calc', round: 1, answers: new Array(12).fill(3) }
  ];
  const csv = exportCsv(data, ballots);
  const [factorTable, ballotTable, actionTable] = csv.split('\r\n\r\n').map((t) => t.trimEnd().split('\r\n'));

  it('has three tables with headers', () => {
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(factorTable[0]).toBe('factor,id,title,n,unknown,mean,median,stddev,consensus,score_1,score_2,score_3,score_4,score_5,weak,divergent');
    expect(factorTable).toHaveLength(13);
    expect(ballotTable[0]).toBe(`voter,round,${Array.from({ length: 12 }, (_, i) => `factor_${i + 1}`).join(',')}`);
    expect(actionTable[0]).toBe('factor,text,owner,due,status,votes');
  });

  it('writes factor values; null is empty', () => {
    const title = framework.factors[0].title.en;
    const titleCell = /[",;]/.test(title) ? `"${title.replace(/"/g, '""')}"` : title;
    expect(factorTable[1]).toBe(`1,${framework.factors[0].id},${titleCell},5,0,2.6,2,1.356,0.464,1,2,1,0,1,true,true`);
    expect(factorTable[6].split(',').slice(3, 9)).toEqual(['0', '5', '', '', '', '']);
    expect(ballotTable[1]).toBe('voter-1,1,1,unknown,4,,5,5,5,5,5,5,5,5');
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
  ])('action text %j → cell %j', (text, cell) => {
    const one = buildExport(input('en', { actions: [action('z', 2, text, { owner: text })], dotTotals: { z: 3 } }));
    const out = exportCsv(one, []);
    const last = out.split('\r\n\r\n')[2].trimEnd();
    expect(last).toBe(`factor,text,owner,due,status,votes\r\n2,${cell},${cell},,open,3`);
  });

  it('guards ballot voter labels too', () => {
    expect(ballotTable[2].startsWith("'=cmd|/C calc,1,")).toBe(true);
  });
});

describe('escapeMarkdown', () => {
  it.each<[string, string]>([
    ['plain text', 'plain text'],
    ['<script>alert(1)</script>', '&lt;script&gt;alert\\(1\\)&lt;/script&gt;'],
    ['[link](x)', '\\[link\\]\\(x\\)'],
    ['**bold**', '\\*\\*bold\\*\\*'],
    ['_em_ `code`', '\\_em\\_ \\`code\\`'],
    ['# heading', '\\# heading'],
    ['> quote', '&gt; quote'],
    ['a | b', 'a \\| b'],
    ['![img](y)', '\\!\\[img\\]\\(y\\)'],
    ['back\\slash', 'back\\\\slash'],
    ['R&D &lt;', 'R&amp;D &amp;lt;'],
    ['two\nlines\r\nhere', 'two lines here']
  ])('%j → %j', (text, escaped) => {
    expect(escapeMarkdown(text)).toBe(escaped);
  });
});

describe('exportMarkdown', () => {
  const evil = [
    action('e1', 1, '<script>alert(1)</script> [link](x) **bold**', { owner: '[Ann](http://evil)', status: 'done' }),
    action('e2', null, 'General thing'),
    action('e3', 3, 'Third'),
    action('e4', 1, 'More votes')
  ];

  it.each<{ lang: Language; headings: string[]; general: string; weak: string; mean: string }>([
    { lang: 'en', headings: ['## Results', '## Needs attention', '## Action points'], general: '### General', weak: 'weak (mean 2.60)', mean: '| 2.60 |' },
    { lang: 'nl', headings: ['## Resultaten', '## Aandachtspunten', '## Actiepunten'], general: '### Algemeen', weak: 'zwak (gem. 2,60)', mean: '| 2,60 |' }
  ])('$lang headings, numbers and groups', ({ lang, headings, general, weak, mean }) => {
    const md = exportMarkdown(buildExport(input(lang, { actions: evil, dotTotals: { e4: 3, e1: 1 } })), framework);
    for (const h of headings) expect(md.split('\n')).toContain(h);
    expect(md).toContain(general);
    expect(md).toContain(weak);
    expect(md).toContain(mean);
    expect(md.startsWith('# Greenport &lt;b&gt;kick\\-off&lt;/b&gt;\n')).toBe(true);
    expect(md).toMatch(/^- [^:]+: ABC234$/m);
    expect(md).toMatch(/^- [^:]+: 2026-11-28$/m);
    expect(md.endsWith('\n')).toBe(true);
    // Headings for factor groups: 1 and 3 in order, general last.
    const groups = md.split('\n').filter((l) => l.startsWith('### '));
    expect(groups).toHaveLength(3);
    expect(groups[0].startsWith('### 1\\. ')).toBe(true);
    expect(groups[1].startsWith('### 3\\. ')).toBe(true);
    expect(groups[2]).toBe(general);
    expect(groups[0]).toContain(escapeMarkdown(framework.factors[0].title[lang]));
  });

  it('escapes user text and sorts actions by votes within a factor', () => {
    const md = exportMarkdown(buildExport(input('en', { actions: evil, dotTotals: { e4: 3, e1: 1 } })), framework);
    expect(md).not.toContain('<script>');
    expect(md).not.toContain('](x)');
    expect(md).not.toContain('**bold**');
    expect(md).not.toContain('](http://evil)');
    const lines = md.split('\n');
    const section = lines.slice(lines.findIndex((l) => l.startsWith('### 1\\. ')));
    expect(section[2]).toBe('- [ ] More votes (open, 3 votes)');
    expect(section[3]).toBe(
      '- [x] &lt;script&gt;alert\\(1\\)&lt;/script&gt; \\[link\\]\\(x\\) \\*\\*bold\\*\\* (done, owner: \\[Ann\\]\\(http://evil\\), 1 vote)'
    );
  });

  it('states when there are no results and no actions', () => {
    const en = exportMarkdown(buildExport(input('en', { results: [], actions: [] })), framework);
    expect(en).toContain('No results revealed yet.');
    expect(en).toContain('No action points yet.');
    expect(en).not.toContain('- Round:');
    const nl = exportMarkdown(buildExport(input('nl', { results: [], actions: [] })), framework);
    expect(nl).toContain('Nog geen resultaten onthuld.');
    expect(nl).toContain('Nog geen actiepunten.');
  });
});
