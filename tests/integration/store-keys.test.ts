import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import { SqliteStore } from '../../server/store/sqlite';
import { makeDataDir } from '../helpers/server';
import { openPostgresStore, pgAdminUrl } from '../helpers/pg-test';

/**
 * A session's data goes with its participants and its session by foreign keys with ON DELETE CASCADE. Removing
 * a participant, or purging a session, then looks up the child rows of each parent row by the key's columns:
 * without an index that starts with them, every such lookup reads the whole table, every session's rows
 * (issue 26: SQLite's answers scanned all answers per removed participant). Read from the real schema.
 */
type ForeignKey = { table: string; columns: string[]; parent: string };

function unindexed(keys: ForeignKey[], indexes: Map<string, string[][]>): string[] {
  return keys
    .filter((key) => !(indexes.get(key.table) ?? []).some((index) => key.columns.every((c) => index.slice(0, key.columns.length).includes(c))))
    .map((key) => `${key.table}(${key.columns.join(', ')}) → ${key.parent}`);
}

describe('every foreign key', () => {
  it('each have an index starting with their columns (SQLite)', async () => {
    const dataDir = await makeDataDir();
    const store = new SqliteStore({ dataDir });
    await store.close();
    const db = new Database(path.join(dataDir, 'board.sqlite'), { readonly: true });
    onTestFinished(() => void db.close());
    const keys: ForeignKey[] = [];
    const indexes = new Map<string, string[][]>();
    for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]) {
      const byId = new Map<number, ForeignKey>();
      for (const fk of db.prepare(`PRAGMA foreign_key_list("${name}")`).all() as { id: number; from: string; table: string }[]) {
        const key = byId.get(fk.id) ?? { table: name, columns: [], parent: fk.table };
        key.columns.push(fk.from);
        byId.set(fk.id, key);
      }
      keys.push(...byId.values());
      indexes.set(
        name,
        (db.prepare(`PRAGMA index_list("${name}")`).all() as { name: string }[]).map((index) =>
          (db.prepare(`PRAGMA index_info("${index.name}")`).all() as { seqno: number; name: string }[]).sort((a, b) => a.seqno - b.seqno).map((c) => c.name)
        )
      );
    }
    expect(keys.map((k) => k.table)).toContain('answers');
    expect(unindexed(keys, indexes)).toEqual([]);
  });

  it.skipIf(!pgAdminUrl())('each have an index starting with their columns (PostgreSQL)', async () => {
    const { url } = await openPostgresStore();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    onTestFinished(() => client.end());
    const { rows: keyRows } = await client.query<{ table: string; columns: string[]; parent: string }>(`
      SELECT c.conrelid::regclass::text AS table, c.confrelid::regclass::text AS parent,
             array(SELECT a.attname::text FROM unnest(c.conkey) k JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k) AS columns
      FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace ns ON ns.oid = t.relnamespace
      WHERE c.contype = 'f' AND ns.nspname = current_schema()`);
    const { rows: indexRows } = await client.query<{ table: string; columns: string[] }>(`
      SELECT i.indrelid::regclass::text AS table,
             array(SELECT a.attname::text FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, n) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.n) AS columns
      FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace ns ON ns.oid = t.relnamespace WHERE ns.nspname = current_schema()`);
    const indexes = new Map<string, string[][]>();
    for (const row of indexRows) indexes.set(row.table, [...(indexes.get(row.table) ?? []), row.columns]);
    expect(keyRows.map((k) => k.table)).toContain('answers');
    expect(unindexed(keyRows, indexes)).toEqual([]);
  });
});
