import { randomBytes } from 'node:crypto';

/** The header with which an instance answers `/healthz`: a random id per process, so that it can find itself. */
export const INSTANCE_HEADER = 'x-seeds-instance';

/** This process's id among the instances (not a secret: it only tells one process from another). */
export const newInstanceId = (): string => randomBytes(9).toString('base64url');

/**
 * Checks at start that `INSTANCE_URL` reaches this very process, as the other instances will use it
 * to forward sessions here. Two instances given the same address (a copied unit file), an address of
 * the proxy, or an interface this instance does not listen on would otherwise start without a word and
 * leave some sessions unreachable or forwarded to the wrong place.
 */
export async function checkInstanceUrl(instanceUrl: string, instanceId: string): Promise<void> {
  let answered: string | null;
  try {
    const response = await fetch(`${instanceUrl}/healthz`, { redirect: 'manual', signal: AbortSignal.timeout(5000) });
    await response.body?.cancel();
    answered = response.headers.get(INSTANCE_HEADER);
  } catch (error) {
    throw new Error(
      `INSTANCE_URL ${instanceUrl} does not reach this instance (${(error as Error).message}): it must be the address at which the other instances reach this one (docs/scaling.md)`
    );
  }
  if (answered !== instanceId) {
    throw new Error(
      `INSTANCE_URL ${instanceUrl} reaches ${answered ? 'another instance of the board' : 'something else (a proxy?)'}, not this one: every instance needs its own address, at which the others reach it (docs/scaling.md)`
    );
  }
}
