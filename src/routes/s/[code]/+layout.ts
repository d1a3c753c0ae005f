import type { LayoutLoad } from './$types';
import { getFramework, getSession } from '$lib/client/api';
import { normalizeCode } from '$lib/domain/codes';
import type { Framework } from '$lib/domain/framework';
import type { SessionSummary } from '$lib/protocol';
import type { SessionLoadError } from '$lib/client/load-error';

// Session pages live on tokens kept in this browser, so they render in the browser only.
export const ssr = false;
export const prerender = false;

/** What every session page gets: its code, the public summary and the framework, or why they could not be loaded. */
export interface SessionPageData {
  code: string;
  summary: SessionSummary | null;
  framework: Framework | null;
  loadError: SessionLoadError | null;
}

/**
 * Every session page (join and vote, facilitate, presenter screen, print)
 * needs the same two things first: the session's public summary and its
 * framework. They are loaded here, once, for all of them; what a page does
 * with a token (connect, export) stays in the page.
 */
export const load: LayoutLoad = async ({ params }): Promise<SessionPageData> => {
  const code = normalizeCode(params.code) ?? '';
  const fail = (loadError: SessionLoadError): SessionPageData => ({ code, summary: null, framework: null, loadError });
  if (!code) return fail({ kind: 'bad_code' });
  const summary = await getSession(code);
  if (!summary.ok) return fail({ kind: 'api', status: summary.status, error: summary.error });
  const framework = await getFramework(summary.data.framework);
  if (!framework.ok) return { ...fail({ kind: 'api', status: framework.status, error: framework.error }), summary: summary.data };
  return { code, summary: summary.data, framework: framework.data, loadError: null };
};
