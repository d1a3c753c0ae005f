import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FRAMEWORK_ID, localize, type Framework } from '../../src/lib/domain/framework';
import { parseFramework } from '../../src/lib/domain/framework-schema';
import { loadFrameworks } from '../../server/content';

const contentDir = fileURLToPath(new URL('../../content', import.meta.url));
const file = `${contentDir}/frameworks/seeds-of-innovation.json`;
const raw: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
const framework = parseFramework(raw, file);

/** A deep copy of the real content to break on purpose. */
function broken(mutate: (data: { factors: Record<string, unknown>[] } & Record<string, unknown>) => void): unknown {
  const copy = structuredClone(raw) as { factors: Record<string, unknown>[] } & Record<string, unknown>;
  mutate(copy);
  return copy;
}

/** Every {nl, en} pair in the content, with its path. */
function localizedPairs(value: unknown, path: string, out: { path: string; nl: unknown; en: unknown }[] = []) {
  if (Array.isArray(value)) value.forEach((item, i) => localizedPairs(item, `${path}.${i}`, out));
  else if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if ('nl' in obj || 'en' in obj) out.push({ path, nl: obj.nl, en: obj.en });
    else for (const [key, child] of Object.entries(obj)) localizedPairs(child, `${path}.${key}`, out);
  }
  return out;
}

describe('seeds-of-innovation content', () => {
  it('parses and is the default framework', () => {
    expect(framework.id).toBe(DEFAULT_FRAMEWORK_ID);
    expect(framework.id).toBe('seeds-of-innovation');
  });

  it('has exactly 12 factors numbered 1..12 with unique ids', () => {
    expect(framework.factors).toHaveLength(12);
    expect(framework.factors.map((f) => f.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const ids = framework.factors.map((f) => f.id);
    expect(new Set(ids).size).toBe(12);
  });

  it.each<[number, string, string | null]>([
    [1, 'collaboration', 'people'],
    [2, 'collaboration', 'people'],
    [3, 'collaboration', 'process'],
    [4, 'collaboration', 'process'],
    [5, 'collaboration', 'content'],
    [6, 'collaboration', 'content'],
    [7, 'collaboration', 'content'],
    [8, 'collaboration', 'precondition'],
    [9, 'sustaining', null],
    [10, 'sustaining', null],
    [11, 'sustaining', null],
    [12, 'sustaining', null]
  ])('factor %i: theme %s, group %s', (number, theme, group) => {
    const factor = framework.factors[number - 1];
    expect(factor.number).toBe(number);
    expect(factor.theme).toBe(theme);
    expect(factor.group).toBe(group);
  });

  it('themes and their groups match docs/contracts.md', () => {
    expect(framework.themes.map((t) => [t.id, t.groups.map((g) => g.id)])).toEqual([
      ['collaboration', ['people', 'process', 'content', 'precondition']],
      ['sustaining', []]
    ]);
  });

  it('has the Dutch titles of the seed', () => {
    expect(framework.factors[0].title.nl).toBe('Gedreven en persoonlijk gecommitteerd zijn');
    expect(framework.factors[11].title.nl).toBe('Systeeminnovatie: breder kijken');
  });

  it('every text exists in both languages, non-empty, lists of equal length', () => {
    const pairs = localizedPairs(raw, 'framework');
    // name, description, source, 2 themes, 4 groups, 5 labels + unknown, 5 stakeholder groups, 12 × 4 factor texts
    expect(pairs.length).toBeGreaterThanOrEqual(3 + 2 + 4 + 6 + 5 + 48);
    for (const { path, nl, en } of pairs) {
      expect(typeof nl === typeof en, path).toBe(true);
      if (Array.isArray(nl)) {
        expect(Array.isArray(en), path).toBe(true);
        expect((en as unknown[]).length, path).toBe(nl.length);
        for (const item of [...nl, ...(en as unknown[])]) expect(typeof item === 'string' && item.trim().length > 0, path).toBe(true);
      } else {
        expect(typeof nl, path).toBe('string');
        expect((nl as string).trim().length, path).toBeGreaterThan(0);
        expect((en as string).trim().length, path).toBeGreaterThan(0);
      }
    }
  });

  it('every factor has a statement, findings and tips in both languages', () => {
    for (const f of framework.factors) {
      expect(f.statement.nl.length).toBeGreaterThan(10);
      expect(f.statement.en.length).toBeGreaterThan(10);
      expect(f.findings.nl.length).toBeGreaterThanOrEqual(1);
      expect(f.tips.en.length).toBe(f.tips.nl.length);
      expect(f.tips.nl.length).toBeGreaterThanOrEqual(1);
    }
  });

  it('related references resolve to other factors; 5 refers to 1 and 7', () => {
    for (const f of framework.factors) {
      for (const r of f.related) {
        expect(r).not.toBe(f.number);
        expect(framework.factors.some((other) => other.number === r)).toBe(true);
      }
    }
    expect(framework.factors[4].related).toEqual(expect.arrayContaining([1, 7]));
  });

  it('names the five stakeholder groups of the seed', () => {
    expect(framework.stakeholderGroups.map((g) => g.id)).toEqual(['company', 'government', 'knowledge-institution', 'education-institution', 'other']);
  });

  it('localize picks the language', () => {
    const t = framework.scale.unknown;
    expect(localize(t, 'nl')).toBe(t.nl);
    expect(localize(t, 'en')).toBe(t.en);
    expect(t.nl).not.toBe(t.en);
  });

  it('loadFrameworks reads the content folder', () => {
    const catalog = loadFrameworks(contentDir);
    expect(catalog.get(DEFAULT_FRAMEWORK_ID)?.factors).toHaveLength(12);
  });
});

describe('parseFramework rejects broken content', () => {
  it.each<{ name: string; mutate: Parameters<typeof broken>[0]; message: RegExp }>([
    { name: 'missing en title', mutate: (d) => delete (d.factors[0].title as Record<string, unknown>).en, message: /factors\.0\.title\.en:/ },
    { name: 'blank nl statement', mutate: (d) => ((d.factors[1].statement as Record<string, unknown>).nl = '   '), message: /factors\.1\.statement\.nl:/ },
    { name: 'missing en tips', mutate: (d) => delete (d.factors[2].tips as Record<string, unknown>).en, message: /factors\.2\.tips\.en:/ },
    {
      name: 'findings of unequal length',
      mutate: (d) => (d.factors[0].findings as { en: string[] }).en.push('extra'),
      message: /factors\.0\.findings: nl and en lists must have the same number of items/
    },
    { name: 'duplicate id', mutate: (d) => (d.factors[1].id = d.factors[0].id), message: /factors: factor ids must be unique/ },
    { name: 'related to a missing factor', mutate: (d) => (d.factors[2].related = [99]), message: /factors\.2\.related: related factor 99 does not resolve/ },
    { name: 'related to itself', mutate: (d) => (d.factors[3].related = [4]), message: /factors\.3\.related: related factor 4 does not resolve/ },
    { name: 'unknown theme', mutate: (d) => (d.factors[0].theme = 'unknown-theme'), message: /factors\.0\.theme: unknown theme "unknown-theme"/ },
    {
      name: 'group not in its theme',
      mutate: (d) => (d.factors[9].group = 'people'),
      message: /factors\.9\.group: unknown group "people" in theme "sustaining"/
    },
    {
      name: 'numbers out of order',
      mutate: (d) => (d.factors[1].number = 3),
      message: /factors\.1\.number: factors must be numbered 1\.\.n in order; expected 2/
    },
    { name: 'id not a slug', mutate: (d) => (d.factors[0].id = 'Not A Slug'), message: /factors\.0\.id: must be a lowercase slug/ },
    { name: 'unknown key', mutate: (d) => (d.factors[0].colour = 'red'), message: /factors\.0: .*colour/ },
    { name: 'no factors', mutate: (d) => (d.factors = []), message: /factors:/ },
    {
      name: 'duplicate stakeholder group',
      mutate: (d) => ((d.stakeholderGroups as unknown[])[1] = (d.stakeholderGroups as unknown[])[0]),
      message: /stakeholderGroups: stakeholder group ids must be unique/
    },
    { name: 'missing scale label', mutate: (d) => delete (d.scale as { labels: Record<string, unknown> }).labels['3'], message: /scale\.labels\.3:/ }
  ])('$name', ({ mutate, message }) => {
    const data = broken(mutate);
    expect(() => parseFramework(data, 'broken.json')).toThrow(message);
    expect(() => parseFramework(data, 'broken.json')).toThrow(/Invalid framework in broken\.json/);
  });

  it('rejects non-objects', () => {
    for (const value of [null, 42, 'x', []]) expect(() => parseFramework(value, 'x.json')).toThrow(/Invalid framework in x\.json/);
  });

  it('accepts a different, smaller framework without code changes', () => {
    const small = broken((d) => {
      d.id = 'tiny';
      d.factors = d.factors.slice(0, 2).map((f) => ({ ...f, related: [] }));
    });
    const parsed: Framework = parseFramework(small, 'tiny.json');
    expect(parsed.id).toBe('tiny');
    expect(parsed.factors).toHaveLength(2);
  });
});
