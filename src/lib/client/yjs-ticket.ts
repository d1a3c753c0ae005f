/**
 * Connects a y-websocket provider with single-use tickets instead of a token
 * in the URL: each connection attempt needs a fresh ticket, fetched over the
 * authenticated socket.io connection (`board:ticket`). The provider is created
 * with `connect: false`; this keeps `provider.params.ticket` fresh and starts it.
 */
import type { WebsocketProvider } from 'y-websocket';

/** Fetches one ticket (rejects when the socket.io connection cannot give one now). */
export type TicketSource = () => Promise<string>;

const RETRY_MS = 1000;

/** Starts `provider` and renews its ticket after every closed or failed connection; returns a stop function. */
export function connectWithTickets(provider: WebsocketProvider, getTicket: TicketSource): () => void {
  let stopped = false;
  let fetching = false;
  let first = true;
  const renew = () => {
    if (stopped || fetching) return;
    fetching = true;
    getTicket().then(
      (ticket) => {
        fetching = false;
        if (stopped) return;
        provider.params = { ...provider.params, ticket };
        if (first) {
          first = false;
          provider.connect();
        }
      },
      () => {
        fetching = false;
        // socket.io is down too (same network): try again; y-websocket keeps retrying with its back-off meanwhile.
        if (!stopped) setTimeout(renew, RETRY_MS);
      }
    );
  };
  // The ticket in use is spent once the upgrade took it: get the next one ready for a reconnect.
  const onClose = () => renew();
  provider.on('connection-close', onClose);
  provider.on('connection-error', onClose);
  renew();
  return () => {
    stopped = true;
    provider.off('connection-close', onClose);
    provider.off('connection-error', onClose);
  };
}
