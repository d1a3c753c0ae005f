/**
 * Moving a page to the stage the phase opened. The facilitator changes the
 * phase on their own device; everyone else's page has to follow without a
 * scroll, and keyboard and screen-reader users must not be left on an element
 * that just disappeared.
 */

/** Height of the facilitator's sticky bar (0 on pages without one), so a stage never starts under it. */
function stickyOffset(): number {
  const bar = document.querySelector<HTMLElement>('[data-sticky-bar]');
  return bar ? bar.getBoundingClientRect().height : 0;
}

/**
 * Scrolls `stage` to the top of the screen (below a sticky bar) unless its top
 * already is in the upper part of the screen, and moves focus to it when focus
 * was lost (the element that had it belonged to the previous stage). Focus that
 * is still on the page (e.g. the facilitator's phase button) stays where it is.
 */
export function bringStageIntoView(stage: HTMLElement): void {
  const offset = stickyOffset();
  const top = stage.getBoundingClientRect().top;
  if (top < offset || top > offset + window.innerHeight * 0.33) {
    window.scrollTo({ top: Math.max(0, window.scrollY + top - offset - 8), behavior: 'instant' });
  }
  const active = document.activeElement;
  if (!active || active === document.body || !active.isConnected || (active instanceof HTMLElement && active.closest('[hidden]'))) {
    stage.focus({ preventScroll: true });
  }
}

/**
 * Keeps a stage that is still loading (a lazily loaded component, the board's
 * texts arriving) where `bringStageIntoView` put it: the browser's scroll
 * anchoring would otherwise keep whatever follows the stage in place and carry
 * the page far past the stage as it grows. Stops as soon as the person scrolls
 * (a wheel, a swipe, a key) themselves, else after `ms`: long, because a slow
 * phone or network brings the stage's parts late, and holding costs nothing
 * while the stage keeps its size. A tap is not a scroll: a tap on some text
 * while the results loaded used to end the hold, and the page then drifted
 * 5,000 px past the heatmap. Answers a function that stops it early.
 */
export function holdStageInView(stage: HTMLElement, ms = 30_000): () => void {
  const observer = new ResizeObserver(() => bringStageIntoView(stage));
  const scrolledByPerson = ['wheel', 'touchmove', 'keydown'] as const;
  const stop = () => {
    observer.disconnect();
    clearTimeout(timer);
    for (const type of scrolledByPerson) window.removeEventListener(type, stop);
  };
  const timer = setTimeout(stop, ms);
  for (const type of scrolledByPerson) window.addEventListener(type, stop, { passive: true });
  observer.observe(stage);
  return stop;
}
