import type { Response } from 'express';

/** Output written between two turns of the event loop; a large export (up to ~30 MB at the limits) goes in slices of this. */
const SLICE_CHARS = 512 * 1024;

/**
 * JSON text of `value`, the same as `JSON.stringify(value)` (no spaces, `toJSON`
 * honoured, `undefined` left out of objects and written as null in arrays), in
 * pieces: every element of an array and every property of an object is a piece
 * of its own, so no single step serialises more than one of them.
 */
export function* jsonPieces(value: unknown): Generator<string> {
  const json = (value as { toJSON?: () => unknown } | null)?.toJSON;
  if (typeof json === 'function') value = json.call(value);
  if (Array.isArray(value)) {
    yield '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) yield ',';
      const item: unknown = value[i];
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') yield 'null';
      else yield* jsonPieces(item);
    }
    yield ']';
  } else if (value !== null && typeof value === 'object') {
    // An object of plain values only (a comment `{factor, text}`, a factor's figures) is one piece: its
    // size is that of its strings, each bounded by the text limits, and thousands of them cost no
    // generator step per key and value (a session's five rounds hold up to 30,000 comments).
    if (flat(value)) {
      yield JSON.stringify(value);
      return;
    }
    yield '{';
    let first = true;
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
      yield `${first ? '' : ','}${JSON.stringify(key)}:`;
      first = false;
      yield* jsonPieces(item);
    }
    yield '}';
  } else yield JSON.stringify(value) ?? 'null';
}

/** Whether an object holds only primitives (no object, array or `toJSON` to walk into). */
function flat(value: object): boolean {
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  for (const item of Object.values(value)) if (item !== null && typeof item === 'object') return false;
  return true;
}

/**
 * Sends `value` as JSON in slices, yielding to the event loop between them, so
 * a large export does not hold up other requests (and /healthz) while it is
 * serialised. Headers are set before the first slice; the body is the same as `res.json`'s.
 */
export async function sendJsonSliced(res: Response, value: unknown): Promise<void> {
  res.type('application/json; charset=utf-8');
  await sendSliced(res, jsonPieces(value));
}

async function sendSliced(res: Response, chunks: Iterable<string>): Promise<void> {
  let buffered: string[] = [];
  let size = 0;
  for (const piece of chunks) {
    // The client went away: nothing more to write.
    if (res.destroyed) return;
    buffered.push(piece);
    size += piece.length;
    if (size >= SLICE_CHARS) {
      const ok = res.write(buffered.join(''));
      buffered = [];
      size = 0;
      // Waits for the socket when its buffer is full, and otherwise lets other work run in between.
      await new Promise<void>((resolve) => {
        if (ok) return void setImmediate(resolve);
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
  res.end(buffered.join(''));
}

/** Sends text given in chunks, a slice of at least SLICE_CHARS per turn of the event loop (see sendJsonSliced). */
export async function sendTextSliced(res: Response, chunks: Iterable<string>): Promise<void> {
  await sendSliced(res, chunks);
}
