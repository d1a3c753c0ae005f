import { describe, expect, it } from 'vitest';
import { distinctName, NameIndex, nameKey, visibleText } from '../../src/lib/domain/names';

describe('nameKey', () => {
  it('lowercases as the root locale does, for every code point and in context (a final sigma)', () => {
    const differ: string[] = [];
    // In runs of 512 code points (a final sigma's form depends on its neighbours), surrogates left out.
    for (let start = 0; start < 0x110000; start += 512) {
      let text = '';
      for (let c = start; c < start + 512 && c < 0x110000; c++) if (c < 0xd800 || c > 0xdfff) text += String.fromCodePoint(c);
      if (text.toLowerCase() !== text.toLocaleLowerCase('und')) differ.push(start.toString(16));
    }
    for (const word of ['ΟΔΟΣ', 'ΣΑΣ Σ', 'İstanbul', 'ǅemal', 'STRASSE', 'ΌΣΟΣ.']) expect(word.toLowerCase()).toBe(word.toLocaleLowerCase('und'));
    expect(differ).toEqual([]);
  });
});

describe('visibleText', () => {
  it('keeps the joiner of an emoji sequence, after a presentation selector or a skin tone too, and drops other invisibles', () => {
    for (const emoji of ['👩🏽‍🌾', '🏳️‍🌈', '👨‍👩‍👧', '🧑🏿‍🤝‍🧑🏻', '❤️‍🔥']) expect(visibleText(`${emoji} Ann`)).toBe(`${emoji} Ann`);
    expect(visibleText('An\u200dn')).toBe('Ann');
    expect(visibleText('🏽\u200dAnn')).toBe('🏽Ann');
    expect(visibleText('Noor\u200b\u202e')).toBe('Noor');
  });
});

describe('NameIndex', () => {
  it('answers what distinctName answers for the names it holds', () => {
    const names = ['Sam', 'sam (2)', 'Zoe\u0308', 'Noor', '', ''];
    for (const asked of ['Sam', '  SAM ', 'Zoë', 'Noor\u200b', 'Ann', '', '   ']) expect(new NameIndex(names).distinct(asked)).toBe(distinctName(asked, names));
  });

  it('stays right through joins, renames and removals, collisions included', () => {
    const index = new NameIndex();
    const join = (name: string) => {
      const given = index.distinct(name);
      index.add(given);
      return given;
    };
    expect([join('Sam'), join('sam'), join(' SAM '), join('Sam (2)')]).toEqual(['Sam', 'sam (2)', 'SAM (3)', 'Sam (2) (2)']);
    // A removed name is free again; the numbers handed out are not reused (no scan for the lowest free one).
    index.remove('Sam');
    expect(index.has('sam')).toBe(false);
    expect(join('Sam')).toBe('Sam');
    expect(join('Sam')).toBe('Sam (4)');
    // A rename frees the old key and takes the new one.
    index.rename('SAM (3)', 'Noor');
    expect(index.has('sam (3)')).toBe(false);
    expect(join('noor')).toBe('noor (2)');
    // Two anonymous joins share the key '' (counted, not a set): removing one keeps the other.
    index.add('');
    index.add('');
    index.remove('');
    expect(index.has('')).toBe(true);
    // Every name held is distinct by key except the anonymous ones.
    const held = ['Sam (2) (2)', 'sam (2)', 'Sam', 'Sam (4)', 'Noor', 'noor (2)'];
    expect(new Set(held.map(nameKey)).size).toBe(held.length);
    expect(held.every((name) => index.has(name))).toBe(true);
  });

  it('keeps a room of many equal names distinct, numbering on from the last one handed out', () => {
    const index = new NameIndex();
    const given = Array.from({ length: 2000 }, () => {
      const name = index.distinct('Sam');
      index.add(name);
      return name;
    });
    expect(new Set(given.map(nameKey)).size).toBe(2000);
    expect(given.at(-1)).toBe('Sam (2000)');
    expect(index.distinct('sam')).toBe('sam (2001)');
  });
});
