import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { AppError, toProblem } from '../errors.ts';

/** Errors from body-parser and friends carry `type`/`status`; map the ones a client can cause. */
function fromHttpError(err: unknown): AppError | null {
  if (!err || typeof err !== 'object') return null;
  const e = err as { type?: string; status?: number; statusCode?: number; message?: string };
  switch (e.type) {
    case 'entity.too.large':
      return new AppError(
        'payload_too_large',
        'The request body is larger than this endpoint accepts',
      );
    case 'entity.parse.failed':
      return new AppError('malformed', 'The request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('unsupported_media_type', e.message);
    case 'request.aborted':
      return new AppError('malformed', 'The request was aborted');
    case 'request.size.invalid':
      return new AppError('malformed', 'The request body length does not match Content-Length');
  }
  const status = e.status ?? e.statusCode;
  if (status === 413) return new AppError('payload_too_large');
  if (status === 404) return new AppError('not_found', 'Not found'); // a missing static asset
  if (status && status >= 400 && status < 500) return new AppError('malformed', e.message);
  return null;
}

/**
 * The only place that writes error responses: RFC 9457 problem+json, never a stack trace. Works
 * on a plain node:http response, so the lean routes (lean-routes.ts) answer errors the same way.
 */
export function writeProblem(err: unknown, req: IncomingMessage, res: ServerResponse): void {
  let error = err instanceof AppError ? err : fromHttpError(err);
  if (!error) {
    req.log?.error({ err }, 'unhandled error');
    error = new AppError(
      'internal',
      'Something went wrong; the request id identifies it in the logs',
    );
  } else if (error.status >= 500) {
    req.log?.error({ err: error.options.cause ?? error }, error.message);
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  for (const [name, value] of Object.entries(error.options.headers ?? {}))
    res.setHeader(name, value);
  // Express rewrites req.url inside mounted routers; originalUrl is what the client asked for.
  const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '';
  const body = JSON.stringify(toProblem(error, url.split('?')[0]));
  res.statusCode = error.status;
  res.setHeader('Content-Type', 'application/problem+json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

/** writeProblem as Express's error middleware. */
export function errorHandler(err: unknown, req: Request, res: Response, _next: NextFunction): void {
  writeProblem(err, req, res);
}
