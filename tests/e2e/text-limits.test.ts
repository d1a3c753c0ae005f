/**
 * The browser stops at the same limits as the server (issue 20): a paste of one
 * letter under thousands of combining marks (one grapheme, far over the code-unit
 * bound) into a comment or an action text is cut where the server would refuse,
 * the page says so, and the board keeps working (nothing refused, nothing lost).
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { browserAvailability } from '../helpers/browser';
import { createSessionFromLanding, expectParticipantCount, joinByLink, useE2E } from '../helpers/e2e';
import { LIMITS } from '../../src/lib/protocol';

const availability = browserAvailability();
const marks = (n: number) => `a${'\u0301'.repeat(n)}`;

describe.skipIf(!availability.run)(availability.run ? 'text limits (browser)' : `text limits (browser) skipped: ${availability.reason}`, () => {
  const e2e = useE2E();
  let facilitator: Page;
  let ann: Page;

  it('a comment over the code-unit bound is cut at a character boundary, and the page says why', async () => {
    facilitator = await e2e.newPage();
    const code = await createSessionFromLanding(facilitator, e2e.url, 'en', { named: true });
    ann = await e2e.newPage();
    await joinByLink(ann, e2e.url, code, 'Ann');
    await expectParticipantCount(facilitator, 1);
    await facilitator.getByTestId('phase-voting').click();
    await ann.getByTestId('vote-3-4').click();
    await expect.poll(() => ann.getByTestId('vote-3-4').isChecked()).toBe(true);
    await ann.getByTestId('comment-3').fill(`Plan ${marks(LIMITS.commentUnits + 1000)}`);
    await expect.poll(() => ann.getByTestId('comment-3').inputValue()).toBe('Plan ');
    await expect
      .poll(() =>
        ann
          .getByRole('status')
          .filter({ hasText: `at most ${LIMITS.commentMax} characters` })
          .count()
      )
      .toBe(1);
  });

  it('an action text over the code-unit bound is cut in the browser, not refused by the server', async () => {
    await facilitator.getByTestId('phase-reveal').click();
    await facilitator.getByTestId('phase-actions').click();
    await ann.getByTestId('action-add-3').click();
    const text = ann.locator('[data-testid="action-item"][data-factor="3"]').first().getByTestId('action-text');
    await text.waitFor();
    await text.fill(`Visit ${marks(LIMITS.actionTextUnits + 1000)}`);
    await expect.poll(() => text.inputValue()).toBe('Visit ');
    await expect
      .poll(() =>
        ann
          .getByRole('status')
          .filter({ hasText: `at most ${LIMITS.actionTextMax} characters` })
          .count()
      )
      .toBe(1);
    // The board was not refused: what was kept reaches the facilitator, and typing goes on.
    const theirs = facilitator.locator('[data-testid="action-item"][data-factor="3"]').first().getByTestId('action-text');
    await expect.poll(() => theirs.inputValue()).toBe('Visit ');
    await text.press('End');
    await ann.keyboard.type('the farm');
    await expect.poll(() => theirs.inputValue()).toBe('Visit the farm');
  });
});
