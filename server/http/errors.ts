import type { ErrorRequestHandler, Response } from 'express';
import { CommandError, HTTP_STATUS, type ErrorCode } from '../../src/lib/protocol';

/** Sends a JSON error body `{error: {code, message, details?}}` with the matching status. */
export function sendError(res: Response, code: ErrorCode, message: string, details?: string[]): void {
  res.status(HTTP_STATUS[code]).json({ error: details ? { code, message, details } : { code, message } });
}

/** Turns anything thrown in a route (including body-parser errors) into a clear JSON error. */
export const jsonErrorHandler: ErrorRequestHandler = (error, _req, res, _next) => {
  void _next;
  if (res.headersSent) return;
  if (error instanceof CommandError) return sendError(res, error.code, error.message, error.details);
  const status = typeof error?.status === 'number' ? error.status : typeof error?.statusCode === 'number' ? error.statusCode : 500;
  if (error?.type === 'entity.too.large') return sendError(res, 'too_large', 'The request body is too large.');
  if (error?.type === 'entity.parse.failed') return sendError(res, 'bad_request', 'The request body is not valid JSON.');
  if (status >= 400 && status < 500) return sendError(res, 'bad_request', typeof error?.message === 'string' ? error.message : 'Bad request.');
  console.error('Unexpected error in an HTTP route', error);
  sendError(res, 'internal', 'Something went wrong on the server.');
};
