import { describe, expect, it } from 'vitest';
import { create } from 'content-disposition';
import { asciiFileName, dispositionFileName, FILE_SLUG_MAX, fileSlug, takeHomeFileName } from '../../src/lib/domain/file-names';

describe('take-home file names', () => {
  it.each<[string, string]>([
    ['Groeiplan', 'groeiplan'],
    ['Groeiplan 2027: West-Holland / R&D', 'groeiplan-2027-west-holland-r-d'],
    ['  ..\\..\\etc/passwd  ', 'etc-passwd'],
    ['Zürich café', 'zürich-café'],
    ['CON', 'con'],
    ['a<b>c:d"e|f?g*h', 'a-b-c-d-e-f-g-h'],
    ['🇳🇱🇳🇱', ''],
    ['名古屋の会', '名古屋の会']
  ])('slug of %j is %j: no character a file system refuses, no hyphen at either end', (name, slug) => {
    expect(fileSlug(name)).toBe(slug);
  });

  it('cuts a long name at a grapheme boundary, without a trailing hyphen', () => {
    const slug = fileSlug(`${'é'.normalize('NFD').repeat(60)} end`);
    expect([...new Intl.Segmenter().segment(slug)]).toHaveLength(FILE_SLUG_MAX);
    expect(slug.normalize('NFC')).toBe('é'.repeat(FILE_SLUG_MAX));
    expect(fileSlug(`${'a'.repeat(FILE_SLUG_MAX - 1)} b`)).toBe('a'.repeat(FILE_SLUG_MAX - 1));
  });

  it('names a file by the session, its day and what it holds (the fallback when the name has no letters)', () => {
    expect(takeHomeFileName('Groeiplan', 'sessie', '2026-12-06', ['ronde-2'], 'png')).toBe('groeiplan-2026-12-06-ronde-2.png');
    expect(takeHomeFileName('Groeiplan', 'sessie', '2026-12-06', ['Toelichtingen'], 'csv')).toBe('groeiplan-2026-12-06-toelichtingen.csv');
    expect(takeHomeFileName('🎉', 'sessie', '2026-12-06', [], 'md')).toBe('sessie-2026-12-06.md');
    expect(takeHomeFileName('Groeiplan', 'sessie', null, [], 'svg')).toBe('groeiplan.svg');
  });

  it('gives an ASCII fallback for the plain filename= parameter', () => {
    expect(asciiFileName('zürich-café-2026-12-06.md')).toBe('zurich-cafe-2026-12-06.md');
    expect(asciiFileName('名古屋の会-2026-12-06.md')).toBe('2026-12-06.md');
    expect(asciiFileName('groeiplan-2026-12-06.csv')).toBe('groeiplan-2026-12-06.csv');
  });

  it.each(['groeiplan-2026-12-06.md', 'zürich-café-2026-12-06-ronde-2.xlsx', '名古屋の会-2026-12-06.csv', 'say "hi"-2026.md'])(
    'reads back %j from the header the server writes (filename* first)',
    (name) => {
      expect(dispositionFileName(create(name, { fallback: asciiFileName(name) }))).toBe(name);
    }
  );

  it('reads a plain or quoted filename and refuses nothing else', () => {
    expect(dispositionFileName('attachment; filename="a b.md"')).toBe('a b.md');
    expect(dispositionFileName('attachment; filename=plain.csv')).toBe('plain.csv');
    expect(dispositionFileName("attachment; filename=x.md; filename*=UTF-8''%E0%A4%A")).toBe('x.md');
    expect(dispositionFileName('attachment')).toBeNull();
    expect(dispositionFileName(null)).toBeNull();
  });
});
