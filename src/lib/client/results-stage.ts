/**
 * The results stage's code. It is loaded apart (most of a session is spent before the reveal), but fetched ahead
 * while people vote: on a slow phone or network, code fetched only at the reveal arrived seconds after the page had
 * moved to the stage, and the page drifted away from it as it grew. A failed fetch is forgotten, so the next try
 * fetches again.
 */
let loading: Promise<typeof import('$lib/components/ResultsPhase.svelte')> | null = null;

export function loadResultsStage(): Promise<typeof import('$lib/components/ResultsPhase.svelte')> {
  return (loading ??= import('$lib/components/ResultsPhase.svelte').catch((error: unknown) => {
    loading = null;
    throw error;
  }));
}
