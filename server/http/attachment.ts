import type { Response } from 'express';
import { create } from 'content-disposition';
import { asciiFileName } from '../../src/lib/domain/file-names';

/**
 * Offers the response as a file called `fileName` (RFC 6266): `filename=` in plain ASCII for
 * old clients, and `filename*=UTF-8''…` (RFC 5987) with the full name when it is not plain ASCII,
 * so "Groeiplan Zürich" stays "zürich" in every browser that reads it.
 */
export function attachment(res: Response, fileName: string): Response {
  return res.set('Content-Disposition', create(fileName, { fallback: asciiFileName(fileName) }));
}
