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

describe('LEASE_HEARTBEAT_MS and LEASE_TIMEOUT_MS', () => {
  it('default to a check every 2 s and a cut after 5 s of silence; read whole milliseconds, at least 100', () => {
    expect([configFromEnv({}).leaseHeartbeatMs, configFromEnv({}).leaseTimeoutMs]).toEqual([2000, 5000]);
    const quick = configFromEnv({ LEASE_HEARTBEAT_MS: '500', LEASE_TIMEOUT_MS: '1250' });
    expect([quick.leaseHeartbeatMs, quick.leaseTimeoutMs]).toEqual([500, 1250]);
    expect(configFromEnv({ LEASE_HEARTBEAT_MS: '0' }).leaseHeartbeatMs).toBe(100);
    expect(() => configFromEnv({ LEASE_TIMEOUT_MS: '2.5' })).toThrow(/LEASE_TIMEOUT_MS must be a whole number/);
  });
});
