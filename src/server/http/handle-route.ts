import { createHash } from 'node:crypto';
import express, { type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import type { Tx } from '../data/database.ts';
import {
  claimIdempotencyKey,
  findIdempotentReply,
  readIdempotentReply,
  storeIdempotentReply,
  type StoredIdempotentReply,
} from '../data/idempotency-keys.ts';
import { inTransaction } from '../data/scoped-transaction.ts';
import type { Role } from '../data/schema.ts';
import { canonicalJson } from '../domain/audit/audit-hash.ts';
import {
  recordAuditEvent,
  type Actor,
  type AuditEventInput,
  type RequestMeta,
} from '../domain/audit/record-audit-event.ts';
import type { AppServices } from '../services.ts';
import { accessFor } from './access-policy.ts';
import {
  checkCsrf,
  CSRF_COOKIE,
  csrfTokenFor,
  identify,
  readCredentials,
  type Credentials,
} from './authenticate.ts';
import { setCsrfCookie } from './cookies.ts';
import {
  routeKey,
  type AnyRoute,
  type Principal,
  type Reply,
  type RequestContext,
  type TenantInfo,
} from './define-route.ts';
import { AppError, type FieldError } from '../errors.ts';
import { refuseNulInput } from './refuse-nul-input.ts';
import { requestMeta } from './request-meta.ts';
import { resolveTenant, tenantHint } from './resolve-tenant.ts';

const UNSAFE = new Set(['post', 'put', 'patch', 'delete']);
const DEFAULT_BODY_LIMIT = 1024 * 1024;

/** zod issues as the problem document's `errors` list. */
export function fieldErrors(error: z.ZodError, prefix?: string): FieldError[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || (prefix ?? ''),
    message: issue.message,
  }));
}

function parsePart<T extends z.ZodType>(schema: T | undefined, value: unknown, part: string) {
  if (!schema) return { ok: true as const, value: undefined };
  const result = schema.safeParse(value);
  return result.success
    ? { ok: true as const, value: result.data }
    : { ok: false as const, errors: fieldErrors(result.error, part === 'body' ? undefined : part) };
}

/** Body parser for a route: JSON, raw bytes, or nothing (the handler streams `req`). */
function bodyParser(route: AnyRoute): RequestHandler | null {
  const kind = route.bodyKind ?? (route.body ? 'json' : 'none');
  const limit = route.bodyLimit ?? DEFAULT_BODY_LIMIT;
  if (kind === 'json') return express.json({ limit, type: () => true, strict: false });
  if (kind === 'raw') return express.raw({ limit, type: () => true });
  return null;
}

/** Who is asking, in which tenant, with which role, as of the request's start. */
interface Caller {
  principal: Principal | null;
  tenant: TenantInfo | null;
  role: Role | null;
  actor: Actor;
}

type Access = NonNullable<ReturnType<typeof accessFor>>;
type ParsedInput = { params: unknown; query: unknown; body: unknown };

/**
 * Builds the Express handlers of one route. Every request goes through the same named steps, top
 * to bottom: route open → address limit → input → prepare → caller (one statement, or its kept copy) →
 * principal and workspace limits → role → cached answer → handler (one transaction scoped to the
 * tenant for row-level security, with idempotency) → after-commit work → reply. Only the identity
 * read and the transaction touch the database, and neither waits on anything else
 * (docs/CONVENTIONS.md).
 */
export function handleRoute(route: AnyRoute, services: AppServices): RequestHandler[] {
  const key = routeKey(route);
  const parser = bodyParser(route);
  const handlers: RequestHandler[] = [];
  if (parser) {
    handlers.push((req, res, next) => {
      const type = req.get('content-type') ?? '';
      if (
        (route.bodyKind ?? 'json') === 'json' &&
        req.headers['content-length'] !== '0' &&
        type &&
        !/json/i.test(type)
      ) {
        next(new AppError('unsupported_media_type', 'Send the body as application/json'));
        return;
      }
      parser(req, res, next);
    });
  }
  handlers.push(async (req: Request, res: Response) => {
    const receivedAt = performance.now();
    const access = routeAccess(key);
    await limitAddress(services, req, route);
    refuseNulInput(req);
    const input = parseInput(route, req);
    const meta = requestMeta(req);
    const credentials = readCredentials(req);
    if (access !== 'public' && !credentials) throw new AppError('unauthenticated', 'Sign in first');
    const caller = await identifyCaller(services, req, res, route, access, credentials, receivedAt);
    await limitCaller(services, caller, route);
    await authorizeRole(services, key, route, access, caller, meta);

    const plain = { services, ...caller, meta, req, res, receivedAt };
    const cached = route.fromCache ? await route.fromCache(plain, input) : null;
    if (cached) {
      await sendReply(res, cached);
      return;
    }
    // Network calls and password hashing: before the transaction, never inside it, and not again
    // for a retry whose reply is stored.
    if (route.prepare) {
      const replay = await storedReplay(services, idempotentRequest(req, route, caller, input));
      if (replay) {
        await sendReply(res, replay);
        return;
      }
    }
    const prepared = route.prepare ? await route.prepare(plain, input) : undefined;
    await sendReply(res, await runHandler(services, route, plain, { ...input, prepared }));
  });
  return handlers;
}

/** The route's entry in the access table; a route missing there is open to no one. */
function routeAccess(key: string): Access {
  const access = accessFor(key);
  if (access === undefined) throw new AppError('forbidden', 'This route is not open to anyone');
  return access;
}

/** Parses path, query and body with the route's schemas: 400 naming every bad field. */
function parseInput(route: AnyRoute, req: Request): ParsedInput {
  const errors: FieldError[] = [];
  const params = parsePart(route.params, req.params, 'params');
  const query = parsePart(route.query, req.query, 'query');
  const bodyValue =
    (route.bodyKind ?? 'json') === 'json' && route.body ? (req.body ?? {}) : undefined;
  const body = parsePart(route.body, bodyValue, 'body');
  for (const part of [params, query, body]) if (!part.ok) errors.push(...part.errors);
  if (errors.length > 0) {
    // A malformed id in the path names nothing: the same 404 as an id that does not exist.
    if (
      !params.ok &&
      Object.keys(req.params).length > 0 &&
      errors.every((e) => e.path.startsWith('params'))
    ) {
      throw new AppError('not_found', 'Not found');
    }
    throw new AppError('validation', 'The request did not validate', { errors });
  }
  return {
    params: params.value,
    query: query.value,
    body: route.bodyKind === 'raw' ? req.body : body.value,
  };
}

/**
 * Reads who is asking, the tenant the request names and their role there: one indexed query in
 * one round trip (a database function that names the credentials' hash under row-level
 * security), or with Redis this process's copy of its answer, which every change to it drops on
 * every process before answering (request-identity.ts), so a role change, a removal or a
 * revocation holds on the next request on every process. Then the CSRF check of a cookie
 * session, and the tenant among the caller's own (a stranger's tenant is a 404).
 */
async function identifyCaller(
  services: AppServices,
  req: Request,
  res: Response,
  route: AnyRoute,
  access: Access,
  credentials: Credentials | null,
  receivedAt: number,
): Promise<Caller> {
  if (!credentials) return { principal: null, tenant: null, role: null, actor: actorOf(null) };
  const hint = Array.isArray(access) ? tenantHint(req, services.config.BASE_DOMAIN) : null;
  const { database, cache } = services;
  const identity = await identify(database.db, cache.local, credentials, hint, receivedAt);
  const principal = identity?.principal ?? null;
  if (access !== 'public' && !principal) throw new AppError('unauthenticated', 'Sign in first');
  if (credentials.kind === 'session' && identity?.sessionExpiresAt) {
    // A session signed in before csrf tokens were bound to sessions gets its own token
    // (an unsafe request with the old one is still refused; the retry passes).
    if (req.cookies?.[CSRF_COOKIE] !== csrfTokenFor(credentials.token)) {
      setCsrfCookie(res, services.config, credentials.token, identity.sessionExpiresAt);
    }
    if (UNSAFE.has(route.method)) checkCsrf(req, credentials.token);
  }
  if (access === 'signed_in' && principal?.kind === 'api_key') {
    throw new AppError('forbidden', 'This route needs a signed-in user, not an API key');
  }
  const { tenant, role } = Array.isArray(access)
    ? resolveTenant(identity!, hint)
    : { tenant: null, role: null };
  return { principal, tenant, role, actor: actorOf(principal) };
}

/** The route's roles decide; a refusal is a security event in the tenant's audit log. */
async function authorizeRole(
  services: AppServices,
  key: string,
  route: AnyRoute,
  access: Access,
  caller: Caller,
  meta: RequestMeta,
): Promise<void> {
  if (!Array.isArray(access) || !caller.tenant || !caller.role) return;
  if (access.includes(caller.role)) return;
  await recordDenied(services, caller.tenant.id, caller.actor, caller.role, meta, key).catch(
    (err: unknown) => services.logger.error({ err }, 'could not record a denied request'),
  );
  throw new AppError('forbidden', `The ${caller.role} role cannot ${route.summary.toLowerCase()}`);
}

/**
 * Runs the handler in one transaction scoped to the tenant and the user (row-level security),
 * with the Idempotency-Key replay when one is sent; after-commit work runs once it has committed,
 * failure hooks once it has rolled back.
 */
async function runHandler(
  services: AppServices,
  route: AnyRoute,
  plain: Omit<RequestContext, 'tx' | 'audit' | 'afterCommit' | 'onFailure'>,
  input: ParsedInput & { prepared: unknown },
): Promise<Reply> {
  const handler = route.handler;
  if (!handler) throw new Error(`${routeKey(route)} is a lean route: lean-routes.ts serves it`);
  const { principal, tenant, actor, meta, req } = plain;
  const userId = principal?.kind === 'session' ? principal.userId : null;
  const pending: (() => Promise<void> | void)[] = [];
  const onFailure: (() => Promise<void>)[] = [];
  let reply: Reply;
  try {
    const scope = { tenantId: tenant?.id, userId, genericPlans: route.genericPlans };
    reply = await inTransaction(services.database, scope, (tx) => {
      const ctx: RequestContext = {
        ...plain,
        tx,
        async audit(event: AuditEventInput) {
          if (!tenant) throw new Error('audit() needs a tenant-scoped route');
          await recordAuditEvent(tx, tenant.id, actor, meta, event);
        },
        afterCommit(fn) {
          pending.push(fn);
        },
        onFailure(fn) {
          onFailure.push(fn);
        },
      };
      const idempotent = idempotentRequest(req, route, plain, input);
      return idempotent
        ? withIdempotency(tx, idempotent, route, () => handler(ctx, input))
        : handler(ctx, input);
    });
  } catch (error) {
    for (const fn of onFailure) {
      await fn().catch((err: unknown) => req.log?.error({ err }, 'failure hook failed'));
    }
    throw error;
  }
  for (const fn of pending) {
    try {
      await fn();
    } catch (error) {
      req.log?.error({ err: error }, 'after-commit task failed');
    }
  }
  return reply;
}

async function sendReply(res: Response, reply: Reply): Promise<void> {
  if ('streamed' in reply) return;
  if ('render' in reply) {
    const bytes = await reply.render();
    for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
    res.status(reply.status).end(bytes);
    return;
  }
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  if (reply.body === undefined) res.status(reply.status).end();
  else res.status(reply.status).json(reply.body);
}

function actorOf(principal: Principal | null): Actor {
  if (!principal) return { type: 'system', id: null, label: 'anonymous' };
  return principal.kind === 'session'
    ? { type: 'user', id: principal.userId, label: principal.email }
    : { type: 'api_key', id: principal.keyId, label: principal.name };
}

/** Requests a minute from one client address. */
async function limitAddress(services: AppServices, req: Request, route: AnyRoute) {
  const rpm = services.config.RATE_LIMIT_RPM;
  if (rpm === 0 || route.skipRateLimit) return;
  const result = await services.rateLimiter.hit(`ip:${req.ip ?? 'unknown'}`, rpm, 60);
  if (!result.allowed) {
    throw new AppError('rate_limited', 'Too many requests from this address; retry later', {
      headers: { 'Retry-After': String(result.retryAfter) },
    });
  }
}

/**
 * A workspace may send RATE_LIMIT_RPM requests a minute (the contract's per-tenant limit), and
 * each principal in it (a user, an API key) at most half of that, so no one script or user can
 * spend the whole workspace's budget. The principal's own budget is checked first: a request
 * refused there does not draw on the workspace's.
 */
async function limitCaller(services: AppServices, caller: Caller, route: AnyRoute) {
  const rpm = services.config.RATE_LIMIT_RPM;
  const { tenant, principal } = caller;
  if (rpm === 0 || route.skipRateLimit || !tenant || !principal) return;
  const who = principal.kind === 'session' ? `user:${principal.userId}` : `key:${principal.keyId}`;
  const own = await services.rateLimiter.hit(
    `principal:${tenant.id}:${who}`,
    Math.ceil(rpm / 2),
    60,
  );
  if (!own.allowed) {
    throw new AppError(
      'rate_limited',
      'You sent too many requests to this workspace; retry later',
      {
        headers: { 'Retry-After': String(own.retryAfter) },
      },
    );
  }
  const result = await services.rateLimiter.hit(`tenant:${tenant.id}`, rpm, 60);
  if (!result.allowed) {
    throw new AppError('rate_limited', 'This workspace sent too many requests; retry later', {
      headers: { 'Retry-After': String(result.retryAfter) },
    });
  }
}

/** A denied request is a security event in the tenant's audit log (its own transaction). */
async function recordDenied(
  services: AppServices,
  tenantId: string,
  actor: Actor,
  role: Role,
  meta: RequestMeta,
  key: string,
) {
  await inTransaction(services.database, { tenantId }, (tx) =>
    recordAuditEvent(tx, tenantId, actor, meta, {
      action: 'security.access_denied',
      target: { type: 'route', id: key },
      changes: { role },
    }),
  );
}

/**
 * Idempotency-Key: the first successful response is stored in the request's own transaction, so
 * it commits with the change. A retry with the same body replays it; another body is a 409. A
 * concurrent retry waits on the key's row until the first commits, then replays.
 */
async function withIdempotency(
  tx: Tx,
  request: IdempotentRequest,
  route: AnyRoute,
  run: () => Promise<Reply>,
): Promise<Reply> {
  const { scope, key, requestHash } = request;
  if (!(await claimIdempotencyKey(tx, scope, key, requestHash))) {
    return replayOf(await readIdempotentReply(tx, scope, key), requestHash);
  }
  const reply = await run();
  if ('streamed' in reply || 'render' in reply) return reply;
  let stored = reply.body;
  if (stored && typeof stored === 'object' && route.secretFields?.length) {
    stored = { ...stored, ...Object.fromEntries(route.secretFields.map((f) => [f, null])) };
  }
  await storeIdempotentReply(tx, scope, key, reply.status, stored);
  return reply;
}

interface IdempotentRequest {
  scope: string;
  key: string;
  requestHash: string;
}

/** The Idempotency-Key of a POST, scoped to who sends it, where and to which route; else null. */
function idempotentRequest(
  req: Request,
  route: AnyRoute,
  caller: Pick<Caller, 'principal' | 'tenant'>,
  input: ParsedInput,
): IdempotentRequest | null {
  const key = req.get('idempotency-key');
  const { principal, tenant } = caller;
  if (route.method !== 'post' || !key || !principal || route.bodyKind === 'stream') return null;
  if (key.length > 255) {
    throw new AppError('validation', 'Idempotency-Key is too long', {
      errors: [{ path: 'Idempotency-Key', message: 'must be at most 255 characters' }],
    });
  }
  const who = principal.kind === 'session' ? `user:${principal.userId}` : `key:${principal.keyId}`;
  const { params, query, body } = input;
  return {
    scope: `${who}|${tenant?.id ?? ''}|${routeKey(route)}`,
    key,
    requestHash: createHash('sha256')
      .update(canonicalJson(bufferFree({ params, query, body })))
      .digest('hex'),
  };
}

/**
 * A finished reply already stored under the request's Idempotency-Key, read before `prepare`
 * runs: a retry must not repeat the route's calls to remote services (a second Stripe session).
 */
async function storedReplay(
  services: AppServices,
  request: IdempotentRequest | null,
): Promise<Reply | null> {
  if (!request) return null;
  const stored = await inTransaction(services.database, {}, (tx) =>
    findIdempotentReply(tx, request.scope, request.key),
  );
  return stored && stored.status !== 0 ? replayOf(stored, request.requestHash) : null;
}

function replayOf(stored: StoredIdempotentReply, requestHash: string): Reply {
  if (stored.requestHash !== requestHash) {
    throw new AppError(
      'idempotency_conflict',
      'This Idempotency-Key was used with another request body',
    );
  }
  return { status: stored.status, body: stored.body, headers: { 'Idempotent-Replayed': 'true' } };
}

/** A raw body hashes as its base64 text. */
function bufferFree(input: unknown): unknown {
  if (input && typeof input === 'object' && 'body' in input && Buffer.isBuffer(input.body)) {
    return { ...input, body: input.body.toString('base64') };
  }
  return input;
}
