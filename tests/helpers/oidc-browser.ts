/**
 * A minimal browser for sign-in flows over fetch: it follows redirects one by one, keeps the
 * cookies each origin sets (per origin, stricter than a real browser, which shares them across
 * ports), and can stop at any step so a test can tamper with or replay what it saw.
 */
export class FetchBrowser {
  private readonly jars = new Map<string, Map<string, string>>();

  private jar(origin: string): Map<string, string> {
    let jar = this.jars.get(origin);
    if (!jar) this.jars.set(origin, (jar = new Map()));
    return jar;
  }

  /** The cookies this browser holds for `origin`. */
  cookies(origin: string): Map<string, string> {
    return this.jar(new URL(origin).origin);
  }

  /** One request, no redirect followed; stores the cookies set. */
  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const origin = new URL(url).origin;
    const jar = this.jar(origin);
    const headers = new Headers(init.headers);
    if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
    return response;
  }

  /** The absolute target of a redirect (fails the test when the answer is not one). */
  static location(response: Response, base: string): string {
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) throw new Error(`expected a redirect, got ${response.status}`);
    return new URL(location, base).href;
  }

  /**
   * Follows redirects from `url` while `until` says no (at most 20): returns the URL it stopped
   * at without requesting it, or, when the chain ends first, the last answer.
   */
  async follow(url: string, until: (url: URL) => boolean = () => false): Promise<{ url: string; response: Response | null }> {
    let current = url;
    for (let hops = 0; hops < 20; hops++) {
      if (until(new URL(current))) return { url: current, response: null };
      const response = await this.request(current);
      if (response.status < 300 || response.status >= 400) return { url: current, response };
      await response.body?.cancel();
      current = FetchBrowser.location(response, current);
    }
    throw new Error(`more than 20 redirects from ${url}`);
  }
}

/**
 * Signs in at the test provider's login page as `login`, from the board's start URL: returns the
 * provider's redirect back to the board (the callback URL with code, state and iss), not yet
 * followed. A browser already signed in at the provider comes straight back, as with single sign-on.
 */
export async function loginAtProvider(browser: FetchBrowser, startUrl: string, providerUrl: string, login: string): Promise<string> {
  const isCallback = (url: URL) => url.pathname === '/api/auth/oidc/callback';
  const atLogin = await browser.follow(startUrl, (url) => url.pathname.startsWith('/interaction/') || isCallback(url));
  if (isCallback(new URL(atLogin.url))) return atLogin.url;
  if (!atLogin.url.startsWith(providerUrl)) throw new Error(`expected the provider's login page, stopped at ${atLogin.url} (${atLogin.response?.status})`);
  const form = await browser.request(`${atLogin.url}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ login }).toString()
  });
  const back = await browser.follow(FetchBrowser.location(form, atLogin.url), (url) => !url.href.startsWith(providerUrl));
  return back.url;
}
