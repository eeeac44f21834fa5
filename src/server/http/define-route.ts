import type { IncomingMessage } from 'node:http';
import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { Tx } from '../data/database.ts';
import type { Role } from '../data/schema.ts';
import type { Actor, AuditEventInput, RequestMeta } from '../domain/audit/record-audit-event.ts';
import type { AppServices } from '../services.ts';
import type { Principal, TenantInfo } from '../domain/principal.ts';

export type {
  ApiKeyPrincipal,
  Principal,
  SessionPrincipal,
  TenantInfo,
} from '../domain/principal.ts';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** What a handler knows about the request: built once by the pipeline, passed explicitly. */
export interface RequestContext {
  services: AppServices;
  /** `performance.now()` when the pipeline took the request: cache reads are fresh as of then. */
  receivedAt: number;
  /** The request's transaction, scoped to the tenant (row-level security) and the user. */
  tx: Tx;
  principal: Principal | null;
  /** Set on tenant-scoped routes. */
  tenant: TenantInfo | null;
  role: Role | null;
  actor: Actor;
  meta: RequestMeta;
  req: Request;
  res: Response;
  /** Appends an audit event to the current tenant's chain in this transaction. */
  audit(event: AuditEventInput): Promise<void>;
  /** Runs after the transaction commits (cache invalidation, enqueueing). */
  afterCommit(fn: () => Promise<void> | void): void;
  /**
   * Runs after the transaction rolls back because the request failed: security events that must
   * outlive the failure (a failed sign-in) are written here, in a transaction of their own.
   */
  onFailure(fn: () => Promise<void>): void;
}

/** What a `fromCache` answer or a `respond` route knows: the request context without a transaction. */
export type CacheContext = Omit<RequestContext, 'tx' | 'audit' | 'afterCommit' | 'onFailure'>;

/** The current tenant; throws on a route that has none (a bug in the access table). */
export function requireTenant(ctx: Pick<RequestContext, 'tenant'>): TenantInfo {
  if (!ctx.tenant) throw new Error('tenant-scoped handler called without a tenant');
  return ctx.tenant;
}

export type Reply =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  /**
   * A body made once the request's transaction has committed (a PDF): read the data in the
   * handler, render it here, so no transaction waits on the rendering.
   */
  | { status: number; headers?: Record<string, string>; render: () => Promise<Buffer> }
  /** The handler wrote the response itself (streams). */
  | { streamed: true };

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Defaults to application/json. */
  contentType?: string;
}

export type BodyKind = 'json' | 'raw' | 'stream' | 'none';

export interface RouteSpec<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  R = undefined,
> {
  method: Method;
  /** Express path, `:name` parameters. */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  /**
   * json (default for post/put/patch): parsed and validated against `body`.
   * raw: a Buffer in `req.body` (signature checks). stream: the handler reads `req` itself.
   */
  bodyKind?: BodyKind;
  /** Largest accepted body in bytes (413 beyond). Default 1 MiB. */
  bodyLimit?: number;
  /** Extra request content types for the OpenAPI description (stream/raw bodies). */
  requestContentTypes?: Record<string, { schema?: z.ZodType; description?: string }>;
  /**
   * Reply fields that are shown once (a new API key's secret): an Idempotency-Key replay returns
   * them as null, so they are never stored in plain text.
   */
  secretFields?: string[];
  /** Never rate limited (the Stripe webhook). */
  skipRateLimit?: boolean;
  /**
   * The handler's transaction runs on generic plans from its first statement (the switch rides on
   * the scope statement: scoped-transaction.ts `useGenericPlans`), for routes that build reports.
   */
  genericPlans?: boolean;
  responses: Record<number, ResponseSpec>;
  /**
   * Answers from a cache after authorization but before any transaction opens; null runs the
   * handler. Gets everything the handler gets except the transaction and its hooks.
   */
  fromCache?: (
    ctx: CacheContext,
    input: { params: z.output<P>; query: z.output<Q>; body: z.output<B> },
  ) => Promise<Reply | null>;
  /**
   * Runs after authorization (and a cached answer, if any), before the request transaction
   * opens: work that must never hold a transaction — network calls (Stripe) and CPU-heavy steps
   * such as password hashing (on the embedded database one session serves every tenant). It opens
   * its own short transactions if it reads. What it returns is the handler's `input.prepared`.
   */
  prepare?: (
    ctx: CacheContext,
    input: { params: z.output<P>; query: z.output<Q>; body: z.output<B> },
  ) => Promise<R>;
  /** Runs in the request transaction, which has set the tenant for row-level security. */
  handler?: (
    ctx: RequestContext,
    input: { params: z.output<P>; query: z.output<Q>; body: z.output<B>; prepared: R },
  ) => Promise<Reply>;
  /**
   * Instead of `handler` (exactly one of the two): a lean route, answered ahead of the Express
   * pipeline (lean-routes.ts) with the raw body and nothing else: no session, tenant, role,
   * rate limit, security headers or transaction. For public machine-to-machine endpoints that
   * manage their own writes and must stay cheap under load (the Stripe webhook).
   */
  respond?: (ctx: RespondContext, input: { body: Buffer }) => Promise<Reply>;
}

/** What a lean route (`respond`) gets. */
export interface RespondContext {
  services: AppServices;
  req: IncomingMessage;
}

export type AnyRoute = RouteSpec<z.ZodType, z.ZodType, z.ZodType, unknown>;

/** Declares a route; the access policy table decides who may call it. */
export function defineRoute<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  R = undefined,
>(spec: RouteSpec<P, Q, B, R>): AnyRoute {
  if (!spec.handler === !spec.respond) {
    throw new Error(`${spec.method} ${spec.path}: give a route exactly one of handler and respond`);
  }
  if (spec.respond && (spec.bodyKind !== 'raw' || spec.params || spec.query || spec.body)) {
    throw new Error(`${spec.method} ${spec.path}: a lean route takes a raw body and nothing else`);
  }
  return spec as unknown as AnyRoute;
}

export const routeKey = (route: { method: string; path: string }) =>
  `${route.method.toUpperCase()} ${route.path}`;
