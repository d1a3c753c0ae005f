import { tick } from 'svelte';
import type { Phase } from '$lib/domain/phases';
import { stageOf } from '$lib/domain/stages';
import { m } from '$lib/i18n/index.svelte';
import { bringStageIntoView, holdStageInView } from './stage-view';

/**
 * Follows the session's phase on a page: when it changes (not on the first
 * render), the page moves to the new phase's stage and a polite live region
 * says which stage is now showing. Call during component initialisation.
 */
export function followPhase(read: () => { phase: Phase | null; stage: HTMLElement | null }): { readonly announcement: string } {
  let last: Phase | null = null;
  let announcement = $state('');
  let release: (() => void) | null = null;
  $effect(() => () => release?.());
  $effect(() => {
    const { phase } = read();
    if (phase === null) return;
    if (last !== null && last !== phase) {
      announcement = m().stages.now(m().stages[stageOf(phase)]);
      void tick().then(() => {
        const { stage } = read();
        if (!stage) return;
        bringStageIntoView(stage);
        release?.();
        release = holdStageInView(stage);
      });
    }
    last = phase;
  });
  return {
    get announcement() {
      return announcement;
    }
  };
}
