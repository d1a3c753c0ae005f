/** Action board helpers: structure by socket.io command, text through Yjs. */
import * as Y from 'yjs';
import { newActionId, textOf } from '../../src/lib/board/actions';
import { PATIENCE_MS, waitFor, type BoardClient } from './clients';

/** Creates an action point by command (as the board page does) and returns its id; fails on a refusal. */
export async function addPoint(client: BoardClient, factor: number | null, text = '', id = newActionId()): Promise<string> {
  const ack = await client.send('action:create', { actionId: id, factor, text });
  if (!ack.ok) throw new Error(`action:create refused: ${ack.error.code} ${ack.error.message}`);
  return id;
}

/** The Y.Text of a point, once the server's creation has reached `doc`. */
export function textIn(doc: Y.Doc, id: string, timeout = PATIENCE_MS): Promise<Y.Text> {
  return waitFor(() => textOf(doc, id), { timeout, message: `the text of ${id} reached the document` });
}

/** Every text of the document, by point id. */
export function allTexts(doc: Y.Doc): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [id, text] of doc.getMap<Y.Text>('texts')) out[id] = text.toString();
  return out;
}

/** The text of a point as the server holds it ('' when it has none): read from the served document. */
export function storedText(served: { doc: Y.Doc }, id: string): string {
  return textOf(served.doc, id)?.toString() ?? '';
}
