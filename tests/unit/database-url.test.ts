import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../../server/config';
import { redact } from '../../server/store/postgres';

describe('DATABASE_URL', () => {
  it('keeps SQLite when unset or empty, and selects PostgreSQL for postgres:// and postgresql:// URLs', () => {
    expect(configFromEnv({}).databaseUrl).toBeNull();
    expect(configFromEnv({ DATABASE_URL: '' }).databaseUrl).toBeNull();
    expect(configFromEnv({ DATABASE_URL: 'postgres://u:p@db:5432/board' }).databaseUrl).toBe('postgres://u:p@db:5432/board');
    expect(configFromEnv({ DATABASE_URL: 'postgresql://db/board?sslmode=require' }).databaseUrl).toBe('postgresql://db/board?sslmode=require');
  });

  it('refuses anything that is not PostgreSQL rather than silently using SQLite', () => {
    for (const value of ['mysql://db/board', 'sqlite:///tmp/x', 'db:5432/board']) {
      expect(() => configFromEnv({ DATABASE_URL: value })).toThrow(/DATABASE_URL must start with postgres/);
    }
  });

  it('never shows the password in messages', () => {
    expect(redact('postgres://board:s3cret@db.example.org:5432/board')).toBe('postgres://board:***@db.example.org:5432/board');
    expect(redact('postgres://db/board')).toBe('postgres://db/board');
    expect(redact('not a url')).not.toContain('not a url');
  });
});
