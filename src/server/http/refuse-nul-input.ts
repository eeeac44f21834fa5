import type { Request } from 'express';
import { AppError } from '../errors.ts';

/** A JSON string escape for NUL (`\u0000`) that is not itself an escaped backslash. */
const ESCAPED_NUL = /(?:^|[^\\])(?:\\\\)*\\u0000/i;
/** Raw bodies read as text: a NUL byte there is refused; images and other bytes may hold zeros. */
const TEXT_BODY = /^(?:text\/|application\/(?:[\w.+-]*\+)?json)/i;

/** The dotted path of the first string (or object key) holding a NUL, or null. */
function nulPath(value: unknown, path: string): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = nulPath(item, `${path}.${i}`);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (key.includes('\u0000')) return `${path}.${key.split('\u0000').join('\\0')}`;
      const found = nulPath(item, `${path}.${key}`);
      if (found) return found;
    }
  }
  return null;
}

function rawBodyHasNul(req: Request): boolean {
  if (!Buffer.isBuffer(req.body) || !TEXT_BODY.test(req.get('content-type') ?? '')) return false;
  if (req.body.includes(0)) return true;
  return /json/i.test(req.get('content-type') ?? '') && ESCAPED_NUL.test(req.body.toString('utf8'));
}

/**
 * The contract's "a NUL character anywhere in the input: 400", checked once on the raw request
 * before any schema: the path and query (also percent-encoded), the headers, and the body (JSON
 * strings and keys, or the bytes of a text body such as CSV). PostgreSQL cannot store NUL in text,
 * so one that got through would be a 5xx.
 */
export function refuseNulInput(req: Request): void {
  let where: string | null = null;
  if (/%00/i.test(req.originalUrl) || req.originalUrl.includes('\u0000')) where = 'url';
  where ??= nulPath(req.params, 'params') ?? nulPath(req.query, 'query');
  for (const [name, value] of Object.entries(req.headers)) {
    if (where) break;
    if (nulPath(value, name)) where = `header.${name}`;
  }
  where ??= Buffer.isBuffer(req.body)
    ? rawBodyHasNul(req)
      ? 'body'
      : null
    : nulPath(req.body, 'body');
  if (where) {
    throw new AppError('validation', 'The request contains a NUL character', {
      errors: [{ path: where, message: 'must not contain a NUL character' }],
    });
  }
}
