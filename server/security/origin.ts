/**
 * Which browser origins may open WebSockets: the origin the request was
 * served under, `PUBLIC_URL`'s, and any listed in `ALLOWED_ORIGINS`.
 * Requests without an Origin header come from non-browser clients, which a
 * token authenticates anyway.
 */
export class OriginPolicy {
  private readonly allowed: Set<string>;

  constructor(extra: readonly string[] = []) {
    this.allowed = new Set(extra.map((o) => o.replace(/\/+$/, '').toLowerCase()));
  }

  allows(origin: string | undefined, host: string | undefined): boolean {
    if (origin === undefined) return true;
    const normalized = origin.toLowerCase();
    if (this.allowed.has(normalized)) return true;
    if (!host) return false;
    try {
      return new URL(normalized).host === host.toLowerCase();
    } catch {
      return false;
    }
  }
}
