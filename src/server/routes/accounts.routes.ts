import { z } from 'zod';
import {
  LoginBody,
  MeReply,
  SignupBody,
  Subdomain,
  UserReply,
} from '../../shared/schemas/accounts.ts';
import { CreateTenantBody, SubdomainAvailability, Tenant } from '../../shared/schemas/tenants.ts';
import { recordFailedSignIn } from '../domain/accounts/failed-sign-in.ts';
import { createSession, revokeSession } from '../domain/accounts/sessions.ts';
import {
  authenticateUser,
  createUser,
  getUser,
  normalizeEmail,
  presentUser,
} from '../domain/accounts/users.ts';
import { recordAuditEvent } from '../domain/audit/record-audit-event.ts';
import {
  createTenant,
  listMemberships,
  presentTenant,
  subdomainUnavailableReason,
} from '../domain/tenants/tenants.ts';
import { SESSION_COOKIE } from '../http/authenticate.ts';
import { clearSessionCookies, setSessionCookies } from '../http/cookies.ts';
import { defineRoute } from '../http/define-route.ts';
import { AppError } from '../errors.ts';

/** Sign-in throttling: attempts per account and per address in a 15-minute window. */
const LOGIN_WINDOW_SECONDS = 15 * 60;
const LOGIN_ATTEMPTS_PER_ACCOUNT = 10;
const LOGIN_ATTEMPTS_PER_IP = 100;

export const accountRoutes = [
  defineRoute({
    method: 'post',
    path: '/api/v1/auth/signup',
    tag: 'Accounts',
    summary: 'Create an account',
    description: 'Creates the account and signs it in (session and csrf_token cookies).',
    body: SignupBody,
    responses: { 201: { description: 'Signed up', schema: UserReply } },
    async handler(ctx, { body }) {
      const user = await createUser(ctx.tx, body);
      const session = await createSession(
        ctx.tx,
        user.id,
        ctx.services.config.SESSION_TTL_HOURS,
        ctx.meta,
      );
      setSessionCookies(ctx.res, ctx.services.config, session.token, session.expiresAt);
      return { status: 201, body: { user: presentUser(user) } };
    },
  }),

  defineRoute({
    method: 'post',
    path: '/api/v1/auth/login',
    tag: 'Accounts',
    summary: 'Sign in',
    description:
      'A wrong password and an unknown email get the same 401. Attempts are throttled per account and per address (429 with Retry-After).',
    body: LoginBody,
    responses: { 200: { description: 'Signed in', schema: UserReply } },
    async handler(ctx, { body }) {
      const { rateLimiter, database } = ctx.services;
      const accountKey = `login:acct:${normalizeEmail(body.email)}`;
      const [perAccount, perIp] = await Promise.all([
        rateLimiter.hit(accountKey, LOGIN_ATTEMPTS_PER_ACCOUNT, LOGIN_WINDOW_SECONDS),
        rateLimiter.hit(`login:ip:${ctx.meta.ip}`, LOGIN_ATTEMPTS_PER_IP, LOGIN_WINDOW_SECONDS),
      ]);
      if (!perAccount.allowed || !perIp.allowed) {
        ctx.onFailure(() => recordFailedSignIn(database, body.email, 'throttled', ctx.meta));
        throw new AppError('rate_limited', 'Too many sign-in attempts; retry later', {
          headers: {
            'Retry-After': String(
              Math.max(
                perAccount.allowed ? 0 : perAccount.retryAfter,
                perIp.allowed ? 0 : perIp.retryAfter,
              ),
            ),
          },
        });
      }
      const user = await authenticateUser(ctx.tx, body.email, body.password);
      if (!user) {
        ctx.onFailure(() =>
          recordFailedSignIn(database, body.email, 'invalid_credentials', ctx.meta),
        );
        throw new AppError('invalid_credentials', 'The email or password is wrong');
      }
      await rateLimiter.reset(accountKey);
      // Rotate: the session the browser had before signing in ends here.
      const previous = ctx.req.cookies?.[SESSION_COOKIE];
      if (previous) {
        await revokeSession(ctx.tx, previous);
      }
      const session = await createSession(
        ctx.tx,
        user.id,
        ctx.services.config.SESSION_TTL_HOURS,
        ctx.meta,
      );
      setSessionCookies(ctx.res, ctx.services.config, session.token, session.expiresAt);
      return { status: 200, body: { user: presentUser(user) } };
    },
  }),

  defineRoute({
    method: 'post',
    path: '/api/v1/auth/logout',
    tag: 'Accounts',
    summary: 'Sign out',
    description: 'Revokes the session; its cookie stops working on the next request.',
    responses: { 204: { description: 'Signed out' } },
    async handler(ctx) {
      const token = ctx.req.cookies?.[SESSION_COOKIE];
      if (token) {
        await revokeSession(ctx.tx, token);
      }
      clearSessionCookies(ctx.res, ctx.services.config);
      return { status: 204 };
    },
  }),

  defineRoute({
    method: 'get',
    path: '/api/v1/me',
    tag: 'Accounts',
    summary: 'Read the signed-in user and their workspaces',
    responses: { 200: { description: 'The user', schema: MeReply } },
    async handler(ctx) {
      const principal = ctx.principal;
      if (principal?.kind !== 'session') throw new AppError('unauthenticated');
      const user = await getUser(ctx.tx, principal.userId);
      if (!user) throw new AppError('unauthenticated');
      const memberships = await listMemberships(ctx.tx, user.id);
      return { status: 200, body: { user: presentUser(user), memberships } };
    },
  }),

  defineRoute({
    method: 'post',
    path: '/api/v1/tenants',
    tag: 'Workspaces',
    summary: 'Create a workspace',
    description:
      'The caller becomes its owner. Subdomain: 3–63 of a-z 0-9 -, not reserved; taken → 409.',
    body: CreateTenantBody,
    responses: { 201: { description: 'Created', schema: Tenant } },
    async handler(ctx, { body }) {
      if (ctx.principal?.kind !== 'session') throw new AppError('unauthenticated');
      const tenant = await createTenant(ctx.tx, ctx.principal.userId, body);
      await recordAuditEvent(ctx.tx, tenant.id, ctx.actor, ctx.meta, {
        action: 'tenant.created',
        target: { type: 'tenant', id: tenant.id },
        changes: {
          name: { from: null, to: tenant.name },
          subdomain: { from: null, to: tenant.subdomain },
        },
      });
      return { status: 201, body: presentTenant(tenant) };
    },
  }),

  defineRoute({
    method: 'get',
    path: '/api/v1/subdomains/:subdomain',
    tag: 'Workspaces',
    summary: 'Check whether a subdomain is free',
    params: z.object({ subdomain: z.string().max(100) }),
    responses: { 200: { description: 'Availability', schema: SubdomainAvailability } },
    async handler(ctx, { params }) {
      const parsed = Subdomain.safeParse(params.subdomain);
      if (!parsed.success) {
        return {
          status: 200,
          body: {
            subdomain: params.subdomain,
            available: false,
            reason: parsed.error.issues[0]?.message ?? 'invalid',
          },
        };
      }
      const reason = await subdomainUnavailableReason(ctx.tx, parsed.data);
      return { status: 200, body: { subdomain: parsed.data, available: reason === null, reason } };
    },
  }),
];
