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
import { hashPassword } from '../domain/accounts/passwords.ts';
import { recordSecurityEvent } from '../domain/accounts/security-events.ts';
import { createSession, revokeSession } from '../domain/accounts/sessions.ts';
import {
  createUser,
  getUser,
  normalizeEmail,
  presentUser,
  verifyCredentials,
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
import { newId, randomToken } from '../lib/ids.ts';

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
    description:
      'Creates the account and signs it in (session and csrf_token cookies). An email that already has an account gets the same answer, so signing up does not tell which emails exist; nothing is created then, and the attempt is recorded as a security event.',
    body: SignupBody,
    responses: { 201: { description: 'Signed up', schema: UserReply } },
    // Hashed before the transaction opens: argon2 must not hold the database.
    prepare: (_ctx, { body }) => hashPassword(body.password),
    async handler(ctx, { body, prepared: passwordHash }) {
      const { config } = ctx.services;
      const user = await createUser(ctx.tx, { ...body, passwordHash });
      if (!user) {
        // Taken: answer as if created (same status, body shape and cookies), create nothing usable.
        await recordSecurityEvent(ctx.tx, 'auth.signup_existing_email', body.email, ctx.meta);
        const decoy = {
          id: newId(),
          email: body.email.trim(),
          name: body.name,
          createdAt: new Date(),
        };
        const expiresAt = new Date(Date.now() + config.SESSION_TTL_HOURS * 3_600_000);
        setSessionCookies(ctx.res, config, randomToken(32), expiresAt);
        return { status: 201, body: { user: presentUser(decoy) } };
      }
      const session = await createSession(ctx.tx, user.id, config.SESSION_TTL_HOURS, ctx.meta);
      setSessionCookies(ctx.res, config, session.token, session.expiresAt);
      return { status: 201, body: { user: presentUser(user) } };
    },
  }),

  defineRoute({
    method: 'post',
    path: '/api/v1/auth/login',
    tag: 'Accounts',
    summary: 'Sign in',
    description:
      'A wrong password and an unknown email get the same 401, in the same time. Attempts are throttled per account and per address (429 with Retry-After).',
    body: LoginBody,
    responses: { 200: { description: 'Signed in', schema: UserReply } },
    // Credentials are checked before the transaction opens: argon2 must not hold the database.
    async prepare({ services, meta }, { body }) {
      const { rateLimiter, database } = services;
      const accountKey = `login:acct:${normalizeEmail(body.email)}`;
      const [perAccount, perIp] = await Promise.all([
        rateLimiter.hit(accountKey, LOGIN_ATTEMPTS_PER_ACCOUNT, LOGIN_WINDOW_SECONDS),
        rateLimiter.hit(`login:ip:${meta.ip}`, LOGIN_ATTEMPTS_PER_IP, LOGIN_WINDOW_SECONDS),
      ]);
      if (!perAccount.allowed || !perIp.allowed) {
        await recordFailedSignIn(services, body.email, 'throttled', meta);
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
      const user = await verifyCredentials(database, body.email, body.password);
      if (!user) {
        await recordFailedSignIn(services, body.email, 'invalid_credentials', meta);
        throw new AppError('invalid_credentials', 'The email or password is wrong');
      }
      await rateLimiter.reset(accountKey);
      return user;
    },
    async handler(ctx, { prepared: user }) {
      // Rotate: the session the browser had before signing in ends here.
      const previous = ctx.req.cookies?.[SESSION_COOKIE];
      if (previous) await revokeSession(ctx.tx, previous);
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
      if (token) await revokeSession(ctx.tx, token);
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
