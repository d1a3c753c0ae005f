import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../../server/config';
import { checkEmail, emailDomain, safeNext } from '../../server/accounts/oidc';
import { CommandError } from '../../src/lib/protocol';

const THREE = { OIDC_ISSUER: 'https://login.example.org', OIDC_CLIENT_ID: 'board', OIDC_CLIENT_SECRET: 's3cret' };

describe('OIDC settings from the environment', () => {
  it('is off without any of the three, and refuses allowed domains alone', () => {
    expect(configFromEnv({}).oidc).toBeNull();
    expect(() => configFromEnv({ OIDC_ALLOWED_DOMAINS: 'example.org' })).toThrow(/OIDC_ALLOWED_DOMAINS needs/);
  });

  it('needs all three of issuer, client id and secret, naming the missing ones', () => {
    expect(() => configFromEnv({ OIDC_ISSUER: THREE.OIDC_ISSUER })).toThrow(/missing: OIDC_CLIENT_ID, OIDC_CLIENT_SECRET/);
    expect(() => configFromEnv({ ...THREE, OIDC_CLIENT_SECRET: '' })).toThrow(/missing: OIDC_CLIENT_SECRET/);
    expect(configFromEnv(THREE).oidc).toEqual({ issuer: 'https://login.example.org', clientId: 'board', clientSecret: 's3cret', allowedDomains: [] });
  });

  it('parses allowed domains: commas, spaces, a leading @, any case, duplicates', () => {
    const { oidc } = configFromEnv({ ...THREE, OIDC_ALLOWED_DOMAINS: ' Example.org, @students.example.org,,example.org ' });
    expect(oidc?.allowedDomains).toEqual(['example.org', 'students.example.org']);
    expect(() => configFromEnv({ ...THREE, OIDC_ALLOWED_DOMAINS: 'example.org;other.org' })).toThrow(/OIDC_ALLOWED_DOMAINS/);
    expect(() => configFromEnv({ ...THREE, OIDC_ALLOWED_DOMAINS: 'localhost' })).toThrow(/OIDC_ALLOWED_DOMAINS/);
  });

  it('allows plain http only for a provider on loopback', () => {
    expect(() => configFromEnv({ ...THREE, OIDC_ISSUER: 'http://login.example.org' })).toThrow(/https/);
    expect(() => configFromEnv({ ...THREE, OIDC_ISSUER: 'http://10.0.0.5:8080' })).toThrow(/https/);
    expect(() => configFromEnv({ ...THREE, OIDC_ISSUER: 'http://127.0.0.1.evil.example' })).toThrow(/https/);
    expect(() => configFromEnv({ ...THREE, OIDC_ISSUER: 'ftp://login.example.org' })).toThrow(/https/);
    expect(() => configFromEnv({ ...THREE, OIDC_ISSUER: 'not a url' })).toThrow(/absolute/);
    expect(() => configFromEnv({ ...THREE, OIDC_ISSUER: 'https://login.example.org/?x=1' })).toThrow(/query/);
    for (const issuer of ['http://127.0.0.1:9000', 'http://localhost:9000/realm', 'http://[::1]:9000']) {
      expect(configFromEnv({ ...THREE, OIDC_ISSUER: issuer }).oidc?.issuer).toBe(issuer);
    }
  });

  it('keeps the issuer exactly as written (the provider must name exactly it)', () => {
    const issuer = 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0';
    expect(configFromEnv({ ...THREE, OIDC_ISSUER: issuer }).oidc?.issuer).toBe(issuer);
    expect(configFromEnv({ ...THREE, OIDC_ISSUER: 'https://accounts.google.com/' }).oidc?.issuer).toBe('https://accounts.google.com/');
  });
});

describe('the e-mail rule', () => {
  const refusal = (claims: Record<string, unknown>, domains: string[]) => {
    try {
      checkEmail(claims, domains);
    } catch (error) {
      return error instanceof CommandError ? error.code : 'other';
    }
    return null;
  };

  it('takes the domain after the last @, lower-cased', () => {
    expect(emailDomain('a@B.Example')).toBe('b.example');
    expect(emailDomain('"a@b"@c.example')).toBe('c.example');
    expect(emailDomain('no-at')).toBeNull();
    expect(emailDomain('@example.org')).toBeNull();
    expect(emailDomain('a@')).toBeNull();
  });

  it('with allowed domains: needs an address in one, not called unverified', () => {
    const domains = ['example.org'];
    expect(checkEmail({ email: 'a@example.org', email_verified: true }, domains)).toBe('a@example.org');
    expect(checkEmail({ email: 'a@example.org' }, domains)).toBe('a@example.org');
    expect(refusal({ email: 'a@example.org', email_verified: false }, domains)).toBe('domain_not_allowed');
    expect(refusal({ email: 'a@example.org', email_verified: 'false' }, domains)).toBe('domain_not_allowed');
    expect(refusal({ email: 'a@sub.example.org' }, domains)).toBe('domain_not_allowed');
    expect(refusal({ email: 'a@example.org.evil.example' }, domains)).toBe('domain_not_allowed');
    expect(refusal({ email: 'example.org@evil.example' }, domains)).toBe('domain_not_allowed');
    expect(refusal({}, domains)).toBe('domain_not_allowed');
    expect(refusal({ email: 42 }, domains)).toBe('domain_not_allowed');
    expect(refusal({ email: `${'a'.repeat(250)}@example.org` }, domains)).toBe('domain_not_allowed');
  });

  it('without allowed domains: anyone, keeping only an address not called unverified', () => {
    expect(checkEmail({ email: 'a@x.example' }, [])).toBe('a@x.example');
    expect(checkEmail({ email: 'a@x.example', email_verified: false }, [])).toBeUndefined();
    expect(checkEmail({}, [])).toBeUndefined();
  });
});

describe('where a sign-in returns to', () => {
  it('is a path on this board, else /home', () => {
    expect(safeNext('/c/abc#x')).toBe('/c/abc#x');
    expect(safeNext('/home')).toBe('/home');
    for (const bad of [undefined, 42, '', 'home', '//evil.example', '/\\evil.example', 'https://evil.example', '/a b', '/\u00e9', `/${'a'.repeat(600)}`]) {
      expect(safeNext(bad)).toBe('/home');
    }
  });
});
