import { CommandError } from '../../src/lib/protocol';

/**
 * Awaits a store write and turns its failure into the typed `store_unavailable`
 * error, after logging the cause (never discarded). Callers change what anyone
 * can see only after this resolved: store first, then memory.
 */
export async function committed<T>(write: Promise<T>, what: string): Promise<T> {
  try {
    return await write;
  } catch (error) {
    throw notCommitted(error, what);
  }
}

/** A failed store write as the client sees it (see committed), for a path that chains on the write instead of awaiting it. */
export function notCommitted(error: unknown, what: string): unknown {
  // A typed refusal (e.g. the store's constraint said another session decided first) is an answer, not a failure.
  if (error instanceof CommandError) return error;
  console.error(`store: ${what} failed; nothing was changed:`, error);
  return new CommandError('store_unavailable', `The server could not save ${what} just now; nothing was changed. Try again in a moment.`);
}
