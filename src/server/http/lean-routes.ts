import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppServices } from '../services.ts';
import { accessFor } from './access-policy.ts';
import { routeKey, type AnyRoute, type Reply } from './define-route.ts';
import { writeProblem } from './error-handler.ts';
import { AppError } from '../errors.ts';
import { startRequestLog } from './request-log.ts';

const DEFAULT_BODY_LIMIT = 1024 * 1024;

/** Answers a request if it is for a lean route; false leaves it to the Express app. */
export type LeanDispatcher = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * Serves the lean routes (those with `respond`) straight from node:http, ahead of Express. The
 * Stripe webhook is the one today: Stripe may deliver thousands of events a second, and the
 * Express pipeline (router, security headers, session and tenant look-ups) cost about three
 * times the work of verifying and storing an event. What every request gets still applies: a
 * request id and log line, the body limit, and problem+json errors from the same writer.
 */
export function leanDispatcher(routes: AnyRoute[], services: AppServices): LeanDispatcher {
  const lean = new Map<string, AnyRoute>();
  for (const route of routes) {
    if (!route.respond) continue;
    if (accessFor(routeKey(route)) !== 'public') {
      throw new Error(`${routeKey(route)}: a lean route must be public in the access table`);
    }
    lean.set(`${route.method.toUpperCase()} ${route.path.toLowerCase()}`, route);
  }
  return (req, res) => {
    if (lean.size === 0) return false;
    const route = lean.get(`${req.method} ${routePath(req.url ?? '/')}`);
    if (!route) return false;
    startRequestLog(services.logger, req, res);
    readBody(req, route.bodyLimit ?? DEFAULT_BODY_LIMIT)
      .then((body) => route.respond!({ services, req }, { body }))
      .then((reply) => writeReply(res, reply))
      .catch((error: unknown) => writeProblem(error, req, res));
    return true;
  };
}

/** The path as Express matches it by default: without the query, case and a trailing slash. */
function routePath(url: string): string {
  const query = url.indexOf('?');
  let path = (query === -1 ? url : url.slice(0, query)).toLowerCase();
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path;
}

/** The whole body, or a 413 once it passes `limit` bytes (by Content-Length or as it arrives). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = () =>
      new AppError('payload_too_large', 'The request body is larger than this endpoint accepts');
    if (Number(req.headers['content-length'] ?? 0) > limit) {
      req.resume();
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume();
        reject(tooLarge());
      } else chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks, size)));
    req.once('error', () => reject(new AppError('malformed', 'The request was aborted')));
  });
}

function writeReply(res: ServerResponse, reply: Reply) {
  if ('streamed' in reply) return;
  if ('render' in reply) throw new Error('a lean route answers JSON, not a rendered body');
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  res.statusCode = reply.status;
  if (reply.body === undefined) {
    res.end();
    return;
  }
  const body = JSON.stringify(reply.body);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}
