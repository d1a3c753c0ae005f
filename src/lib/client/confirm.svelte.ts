/**
 * Asking before a step that cannot be taken back (closing a session, removing someone), in the app's own dialog
 * (components/ConfirmDialog.svelte, mounted once by the root layout) rather than the browser's `confirm()`: that one
 * stops every script of the page while it is open, the socket's heartbeat with them (after ~50 s the server drops a
 * facilitator who is still deciding), and its buttons are in the browser's language, not the page's.
 */

export interface Question {
  message: string;
  answer(yes: boolean): void;
}

/** The question on screen, if any (one at a time: a new one answers the open one "no"). */
class Confirmation {
  // Raw: kept as given, not wrapped in a reactive proxy, so `answer` finds its own question by identity.
  question = $state.raw<Question | null>(null);
}
export const confirmation = new Confirmation();

/** Shows `message` with "yes" and "cancel"; resolves true only when the person chose yes. */
export function ask(message: string): Promise<boolean> {
  confirmation.question?.answer(false);
  return new Promise((resolve) => {
    const question: Question = {
      message,
      answer(yes) {
        if (confirmation.question === question) confirmation.question = null;
        resolve(yes);
      }
    };
    confirmation.question = question;
  });
}
