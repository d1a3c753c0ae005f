import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Helmet's middlewares, run once at start-up against a recording response, replayed as one loop of
 * `setHeader`s per request. With the options we give them (no function-valued directives, no nonces) what
 * they set does not depend on the request, and helmet's per-request chain of eleven middlewares (a closure
 * and a call each) was ~4.5 % of the server's CPU in a join storm (bench/README.md). Throws at start-up if
 * a middleware turns out not to be a fixed set of headers (it did not answer at once, or reads the request).
 */
export function fixedHeaders(middleware: RequestHandler): RequestHandler {
  const set = new Map<string, string | number | readonly string[]>();
  const removed = new Set<string>();
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      removed.delete(name.toLowerCase());
      set.set(name, value);
      return recorder;
    },
    removeHeader(name: string) {
      for (const key of set.keys()) if (key.toLowerCase() === name.toLowerCase()) set.delete(key);
      removed.add(name.toLowerCase());
    }
  };
  // A request that answers nothing: a middleware that reads it fails here, at start-up, not silently later.
  const request = new Proxy(
    {},
    {
      get(_target, property) {
        throw new Error(`fixedHeaders: the middleware reads the request (${String(property)}); its headers are not fixed`);
      }
    }
  );
  let done = false;
  middleware(
    request as Request,
    recorder as unknown as Response,
    ((error?: unknown) => {
      if (error) throw error;
      done = true;
    }) as NextFunction
  );
  if (!done) throw new Error('fixedHeaders: the middleware did not call next at once; its headers are not fixed');
  const headers = [...set];
  const removals = [...removed];
  return (_req, res, next) => {
    for (const name of removals) res.removeHeader(name);
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}
