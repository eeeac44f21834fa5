import { createHash } from 'node:crypto';
import express, { type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import type { Tx } from '../data/database.ts';
import {
  claimIdempotencyKey,
  readIdempotentReply,
  storeIdempotentReply,
} from '../data/idempotency-keys.ts';
import { inTransaction, setScope } from '../data/scoped-transaction.ts';
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
import { checkCsrf, CSRF_COOKIE, csrfTokenFor, identify, readCredentials } from './authenticate.ts';
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

/**
 * Builds the Express handlers of one route. Every request reads top to bottom:
 * input → (prepare) → one transaction: principal, tenant and role read fresh → CSRF → role →
 * idempotency → handler, once the transaction has set the tenant for row-level security;
 * after-commit work runs once it has committed.
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
    const access = accessFor(key);
    if (access === undefined) throw new AppError('forbidden', 'This route is not open to anyone');
    await enforceIpRateLimit(services, req, route);

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
    const input = {
      params: params.value,
      query: query.value,
      body: route.bodyKind === 'raw' ? req.body : body.value,
    };

    const meta = requestMeta(req);
    const pending: (() => Promise<void> | void)[] = [];
    const onFailure: (() => Promise<void>)[] = [];

    // Credentials are read without the database; whose they are, the tenant and the role are read
    // fresh in the request's own transaction (one indexed query, no cache), so a role change, a
    // removal or a revocation holds on the next request on every process.
    const credentials = readCredentials(req);
    if (access !== 'public' && !credentials) throw new AppError('unauthenticated', 'Sign in first');
    const hint = Array.isArray(access) ? tenantHint(req, services.config.BASE_DOMAIN) : null;
    // CPU-heavy work (password hashing) runs before the transaction opens: on the embedded
    // database one session serves every tenant, and a transaction waiting on it stalls them all.
    const prepared = route.prepare ? await route.prepare({ services, meta }, input) : undefined;
    const handler = route.handler;
    if (!handler) throw new Error(`${key} is a lean route: lean-routes.ts serves it`);

    // Set when the role check refuses: recorded once the request's transaction has rolled back.
    const denial: { tenantId?: string; role?: Role; actor?: Actor } = {};
    let reply: Reply;
    try {
      reply = await inTransaction(
        services.database,
        credentials?.kind === 'api_key'
          ? { keyHash: credentials.hash }
          : { sessionHash: credentials?.hash },
        async (tx) => {
          const identity = credentials ? await identify(tx, credentials, hint) : null;
          const principal = identity?.principal ?? null;
          if (access !== 'public' && !principal) {
            throw new AppError('unauthenticated', 'Sign in first');
          }
          if (credentials?.kind === 'session' && identity?.sessionExpiresAt) {
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
          const userId = principal?.kind === 'session' ? principal.userId : null;
          const actor = actorOf(principal);
          let tenant: TenantInfo | null = null;
          let role: Role | null = null;
          if (Array.isArray(access)) {
            ({ tenant, role } = resolveTenant(identity!, hint));
            await enforceTenantRateLimit(services, tenant.id, principal!, route);
            if (!access.includes(role)) {
              Object.assign(denial, { tenantId: tenant.id, role, actor });
              throw new AppError(
                'forbidden',
                `The ${role} role cannot ${route.summary.toLowerCase()}`,
              );
            }
          }
          if (principal) await setScope(tx, { tenantId: tenant?.id, userId });

          const plain = { services, principal, tenant, role, actor, meta, req, res, receivedAt };
          if (route.fromCache) {
            const cached = await route.fromCache(plain, input);
            if (cached) return cached;
          }
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
          const handlerInput = { ...input, prepared };

          const idempotencyKey = req.get('idempotency-key');
          if (
            route.method === 'post' &&
            idempotencyKey &&
            principal &&
            route.bodyKind !== 'stream'
          ) {
            return withIdempotency(tx, principal, tenant, route, idempotencyKey, input, () =>
              handler(ctx, handlerInput),
            );
          }
          return handler(ctx, handlerInput);
        },
      );
    } catch (error) {
      if (denial.tenantId && denial.role && denial.actor) {
        await recordDenied(services, denial.tenantId, denial.actor, denial.role, meta, key).catch(
          (err: unknown) => req.log?.error({ err }, 'could not record a denied request'),
        );
      }
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
    sendReply(res, reply);
  });
  return handlers;
}

function sendReply(res: Response, reply: Reply) {
  if ('streamed' in reply) return;
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

async function enforceIpRateLimit(services: AppServices, req: Request, route: AnyRoute) {
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
 * A workspace's budget is TENANT_RPM_MULTIPLE times RATE_LIMIT_RPM a minute; each principal in it
 * (a user, an API key) gets RATE_LIMIT_RPM of that, so no one script or user can spend the whole
 * workspace's budget. The principal's own budget is checked first: a principal over it does not
 * draw on the workspace's.
 */
const TENANT_RPM_MULTIPLE = 4;

async function enforceTenantRateLimit(
  services: AppServices,
  tenantId: string,
  principal: Principal,
  route: AnyRoute,
) {
  const rpm = services.config.RATE_LIMIT_RPM;
  if (rpm === 0 || route.skipRateLimit) return;
  const who = principal.kind === 'session' ? `user:${principal.userId}` : `key:${principal.keyId}`;
  const own = await services.rateLimiter.hit(`principal:${tenantId}:${who}`, rpm, 60);
  if (!own.allowed) {
    throw new AppError(
      'rate_limited',
      'You sent too many requests to this workspace; retry later',
      {
        headers: { 'Retry-After': String(own.retryAfter) },
      },
    );
  }
  const result = await services.rateLimiter.hit(
    `tenant:${tenantId}`,
    rpm * TENANT_RPM_MULTIPLE,
    60,
  );
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
  principal: Principal,
  tenant: TenantInfo | null,
  route: AnyRoute,
  idempotencyKey: string,
  input: unknown,
  run: () => Promise<Reply>,
): Promise<Reply> {
  if (idempotencyKey.length > 255) {
    throw new AppError('validation', 'Idempotency-Key is too long', {
      errors: [{ path: 'Idempotency-Key', message: 'must be at most 255 characters' }],
    });
  }
  const who = principal.kind === 'session' ? `user:${principal.userId}` : `key:${principal.keyId}`;
  const scope = `${who}|${tenant?.id ?? ''}|${routeKey(route)}`;
  const requestHash = createHash('sha256')
    .update(canonicalJson(bufferFree(input)))
    .digest('hex');

  if (!(await claimIdempotencyKey(tx, scope, idempotencyKey, requestHash))) {
    const stored = await readIdempotentReply(tx, scope, idempotencyKey);
    if (stored.requestHash !== requestHash) {
      throw new AppError(
        'idempotency_conflict',
        'This Idempotency-Key was used with another request body',
      );
    }
    return { status: stored.status, body: stored.body, headers: { 'Idempotent-Replayed': 'true' } };
  }
  const reply = await run();
  if ('streamed' in reply) return reply;
  let stored = reply.body;
  if (stored && typeof stored === 'object' && route.secretFields?.length) {
    stored = { ...stored, ...Object.fromEntries(route.secretFields.map((f) => [f, null])) };
  }
  await storeIdempotentReply(tx, scope, idempotencyKey, reply.status, stored);
  return reply;
}

/** A raw body hashes as its base64 text. */
function bufferFree(input: unknown): unknown {
  if (input && typeof input === 'object' && 'body' in input && Buffer.isBuffer(input.body)) {
    return { ...input, body: input.body.toString('base64') };
  }
  return input;
}
