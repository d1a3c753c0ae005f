import { MediaQuery } from 'svelte/reactivity';

/**
 * Phones: below this width the voting form shows one factor per screen and the
 * results show a per-factor summary instead of the wide grid. One query for both,
 * so a page never mixes the two layouts.
 */
export const PHONE_QUERY = '(max-width: 600px)';

/** Reactive: true on a narrow screen (false during server rendering). */
export function narrowScreen(): MediaQuery {
  return new MediaQuery(PHONE_QUERY, false);
}

/** Whether the person asked for less motion (then scrolling jumps instead of gliding). */
export function reducedMotion(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;
}
