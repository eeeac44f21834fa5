import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from '../logger.ts';

declare module 'node:http' {
  interface IncomingMessage {
    /** The request id: a well-formed incoming X-Request-Id, else a fresh UUID. */
    id?: string;
    /** A logger bound to this request (its id, method and path). */
    log?: Logger;
  }
}

const REQUEST_ID_RE = /^[\w.:-]{1,128}$/;
const QUIET = new Set(['/healthz', '/readyz']);

/**
 * Gives each request an id (echoed in X-Request-Id) and a bound logger, and logs one line when it
 * ends: `info` below 400, `warn` for 4xx, `error` for 5xx or a connection closed before the
 * response was sent. Headers stay out of the logs (cookies, keys, signatures), and so does the
 * query string.
 *
 * The bound logger is made on first use: most requests log nothing else, and building a pino
 * child (serialising its bindings) on every request cost more than the rest of a cached report.
 */
export function startRequestLog(logger: Logger, req: IncomingMessage, res: ServerResponse): void {
  const started = performance.now();
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && REQUEST_ID_RE.test(incoming) ? incoming : randomUUID();
  req.id = id;
  res.setHeader('X-Request-Id', id);
  const path = (req.url ?? '/').split('?')[0]!;
  const bindings = () => ({ id, method: req.method, url: path });
  let child: Logger | undefined;
  Object.defineProperty(req, 'log', {
    configurable: true,
    get: () => (child ??= logger.child({ req: bindings() })),
  });
  if (QUIET.has(path)) return;
  const done = () => {
    res.off('finish', done);
    res.off('close', done);
    const status = res.statusCode;
    const level =
      !res.writableFinished || status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    if (!logger.isLevelEnabled(level)) return;
    (child ?? logger)[level](
      {
        ...(child ? {} : { req: bindings() }),
        res: { statusCode: status },
        responseTime: Math.round(performance.now() - started),
      },
      res.writableFinished ? 'request completed' : 'request aborted',
    );
  };
  res.on('finish', done);
  res.on('close', done);
}

/** startRequestLog as the first Express middleware. */
export function requestLogger(logger: Logger): RequestHandler {
  return (req, res, next) => {
    startRequestLog(logger, req, res);
    next();
  };
}
