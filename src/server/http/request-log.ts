import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from '../logger.ts';

declare module 'node:http' {
  interface IncomingMessage {
    /** The request id: a well-formed incoming X-Request-Id, else a fresh UUID. */
    id?: string;
    /** A logger bound to this request (its id, method and path). */
    log?: RequestLog;
  }
}

const REQUEST_ID_RE = /^[\w.:-]{1,128}$/;
const QUIET = new Set(['/healthz', '/readyz']);
type Level = 'debug' | 'info' | 'warn' | 'error';

/**
 * A request's logger. The pino child bound to the request is made on first use: most requests
 * log nothing but their closing line, and building a child (serialising its bindings) on every
 * request cost more than the rest of a cached report.
 */
export class RequestLog {
  #child: Logger | undefined;
  readonly #started = performance.now();

  constructor(
    private readonly logger: Logger,
    private readonly bindings: { id: string; method: string | undefined; url: string },
  ) {}

  #bound(): Logger {
    return (this.#child ??= this.logger.child({ req: this.bindings }));
  }

  debug(fields: object, message: string): void {
    if (this.logger.isLevelEnabled('debug')) this.#bound().debug(fields, message);
  }
  info(fields: object, message: string): void {
    if (this.logger.isLevelEnabled('info')) this.#bound().info(fields, message);
  }
  warn(fields: object, message: string): void {
    if (this.logger.isLevelEnabled('warn')) this.#bound().warn(fields, message);
  }
  error(fields: object, message: string): void {
    if (this.logger.isLevelEnabled('error')) this.#bound().error(fields, message);
  }

  /** The closing line of the request. */
  end(res: ServerResponse): void {
    const status = res.statusCode;
    const level: Level =
      !res.writableFinished || status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    if (!this.logger.isLevelEnabled(level)) return;
    const fields = {
      res: { statusCode: status },
      responseTime: Math.round(performance.now() - this.#started),
    };
    const message = res.writableFinished ? 'request completed' : 'request aborted';
    if (this.#child) this.#child[level](fields, message);
    else this.logger[level]({ req: this.bindings, ...fields }, message);
  }
}

/**
 * Gives each request an id (echoed in X-Request-Id) and a RequestLog, and logs one line when it
 * ends: `info` below 400, `warn` for 4xx, `error` for 5xx or a connection closed before the
 * response was sent. Headers stay out of the logs (cookies, keys, signatures), and so does the
 * query string. Health checks log no line.
 */
export function startRequestLog(logger: Logger, req: IncomingMessage, res: ServerResponse): void {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && REQUEST_ID_RE.test(incoming) ? incoming : randomUUID();
  req.id = id;
  res.setHeader('X-Request-Id', id);
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  const log = new RequestLog(logger, { id, method: req.method, url: path });
  req.log = log;
  if (QUIET.has(path)) return;
  const done = () => {
    res.off('finish', done);
    res.off('close', done);
    log.end(res);
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
