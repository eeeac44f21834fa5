import { createHash } from 'node:crypto';
import express, { type Request, type RequestHandler, type Response } from 'express';
import { sql } from 'kysely';
import type { z } from 'zod';
import type { Tx } from '../data/database.ts';
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
import { authenticate, checkCsrf } from './authenticate.ts';
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
import { resolveTenant } from './resolve-tenant.ts';

const UNSAFE = new Set(['post', 'put', 'patch', 'delete']);
const DEFAULT_BODY_LIMIT = 1024 * 1024;
const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

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
 * input → principal → CSRF → tenant → role → idempotency → handler, in one transaction that has
 * set the tenant for row-level security; after-commit work runs once it has committed.
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

    refuseNulInput(req);
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

    // Who, which tenant, which role: from caches when possible, before the request transaction,
    // so that transaction only sets its scope once and runs the handler.
    const principal = await authenticate(req, services.database, services.cache, receivedAt);
    if (access !== 'public' && !principal) throw new AppError('unauthenticated', 'Sign in first');
    if (principal?.kind === 'session' && UNSAFE.has(route.method)) checkCsrf(req);
    if (access === 'signed_in' && principal?.kind === 'api_key') {
      throw new AppError('forbidden', 'This route needs a signed-in user, not an API key');
    }
    const userId = principal?.kind === 'session' ? principal.userId : null;
    let tenant: TenantInfo | null = null;
    let role: Role | null = null;
    if (Array.isArray(access)) {
      ({ tenant, role } = await resolveTenant(req, principal!, services, receivedAt));
      await enforceTenantRateLimit(services, tenant.id, route);
      if (!access.includes(role)) {
        await recordDenied(services, tenant.id, actorOf(principal), role, meta, key).catch(
          (err: unknown) => req.log?.error({ err }, 'could not record a denied request'),
        );
        throw new AppError('forbidden', `The ${role} role cannot ${route.summary.toLowerCase()}`);
      }
    }
    const actor = actorOf(principal);

    const plain = { services, principal, tenant, role, actor, meta, req, res, receivedAt };
    if (route.fromCache) {
      const cached = await route.fromCache(plain, input);
      if (cached) {
        sendReply(res, cached);
        return;
      }
    }
    const handler = route.handler;
    if (!handler) throw new Error(`${key} is a lean route: lean-routes.ts serves it`);

    let reply: Reply;
    try {
      reply = await inTransaction(
        services.database,
        { tenantId: tenant?.id, userId },
        async (tx) => {
          const ctx: RequestContext = {
            services,
            receivedAt,
            tx,
            principal,
            tenant,
            role,
            actor,
            meta,
            req,
            res,
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

          const idempotencyKey = req.get('idempotency-key');
          if (
            route.method === 'post' &&
            idempotencyKey &&
            principal &&
            route.bodyKind !== 'stream'
          ) {
            return withIdempotency(tx, principal, tenant, route, idempotencyKey, input, () =>
              handler(ctx, input),
            );
          }
          return handler(ctx, input);
        },
      );
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

async function enforceTenantRateLimit(services: AppServices, tenantId: string, route: AnyRoute) {
  const rpm = services.config.RATE_LIMIT_RPM;
  if (rpm === 0 || route.skipRateLimit) return;
  const result = await services.rateLimiter.hit(`tenant:${tenantId}`, rpm, 60);
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

  await sql`DELETE FROM idempotency_keys WHERE scope = ${scope} AND key = ${idempotencyKey}
            AND created_at < ${new Date(Date.now() - IDEMPOTENCY_TTL_MS)}`.execute(tx);
  const claimed = await tx
    .insertInto('idempotency_keys')
    .values({
      scope,
      key: idempotencyKey,
      request_hash: requestHash,
      status: 0,
      created_at: new Date(),
    })
    .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
    .returning('key')
    .executeTakeFirst();
  if (!claimed) {
    const stored = await tx
      .selectFrom('idempotency_keys')
      .select(['request_hash', 'status', 'body'])
      .where('scope', '=', scope)
      .where('key', '=', idempotencyKey)
      .executeTakeFirstOrThrow();
    if (stored.request_hash !== requestHash) {
      throw new AppError(
        'idempotency_conflict',
        'This Idempotency-Key was used with another request body',
      );
    }
    return {
      status: stored.status,
      body: stored.body ?? undefined,
      headers: { 'Idempotent-Replayed': 'true' },
    };
  }
  const reply = await run();
  if ('streamed' in reply) return reply;
  let stored = reply.body;
  if (stored && typeof stored === 'object' && route.secretFields?.length) {
    stored = { ...stored, ...Object.fromEntries(route.secretFields.map((f) => [f, null])) };
  }
  await tx
    .updateTable('idempotency_keys')
    .set({ status: reply.status, body: stored === undefined ? null : JSON.stringify(stored) })
    .where('scope', '=', scope)
    .where('key', '=', idempotencyKey)
    .execute();
  return reply;
}

/** A raw body hashes as its base64 text. */
function bufferFree(input: unknown): unknown {
  if (input && typeof input === 'object' && 'body' in input && Buffer.isBuffer(input.body)) {
    return { ...input, body: input.body.toString('base64') };
  }
  return input;
}
