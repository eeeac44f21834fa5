import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS } from '../../src/server/http/access-policy.ts';
import { PASSWORD, buildTenant, eventually, signUp, uniq } from '../support/factories.ts';
import { ROUTE_SAMPLES } from '../support/route-samples.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { headSeq, setPlan } from './audit-support.ts';

/**
 * Generated from the roles × routes table: every successful call of a mutating tenant route
 * appends its audit event, in the caller's tenant chain, with who, from where and the request id.
 * A mutating tenant route without a sample naming its audit action fails here; so does a new
 * mutating route outside tenants that is not in NON_TENANT_ROUTES with its explicit test below.
 */
const MUTATING = /^(POST|PUT|PATCH|DELETE) /;

/** Mutating routes without a tenant in the request, and where their audit trail is tested. */
const NON_TENANT_ROUTES: Record<string, string> = {
  'POST /api/v1/auth/signup': 'no workspace exists yet: nothing to record in (test below)',
  'POST /api/v1/auth/login': 'failed sign-ins are security events, per workspace too (test below)',
  'POST /api/v1/auth/logout':
    'ends the caller’s own session; no workspace data changes (test below)',
  'POST /api/v1/tenants': 'tenant.created opens the new chain (test below)',
  'POST /api/v1/invitations/accept': 'member.joined in the inviting workspace (test below)',
  'POST /api/v1/invitations/lookup':
    'a read sent as POST (the token stays out of URLs): changes nothing; tests/core/members.test.ts',
  'POST /api/v1/public/reports/:token/unlock':
    'changes no data (sets a cookie; wrong passwords are counted by the rate limiter): tests/reporting/share-links.test.ts',
  'POST /api/v1/auth/password-reset':
    'a security event for any email; no workspace data changes: tests/reporting/mail.test.ts',
  'POST /api/v1/auth/password-reset/confirm':
    'user.password_reset in each workspace of the account: tests/reporting/mail.test.ts',
  'POST /api/v1/billing/webhooks/stripe':
    'each effect is audited as actor stripe: tests/billing/billing-flow.test.ts',
};

const routes = Object.entries(ACCESS).filter(([key]) => MUTATING.test(key));
const tenantRoutes = routes.filter(([, access]) => Array.isArray(access)).map(([key]) => key);
const otherRoutes = routes.filter(([, access]) => !Array.isArray(access)).map(([key]) => key);

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

async function eventsAfter(tenantId: string, seq: number) {
  return app.database.db
    .selectFrom('audit_events')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('seq', '>', seq)
    .orderBy('seq')
    .execute();
}

describe('every mutating route writes an audit event', () => {
  it('every mutating tenant route has a sample that names the audit action it writes', () => {
    const missing = tenantRoutes.filter((key) => !ROUTE_SAMPLES[key]?.audit);
    expect(missing, 'add these to tests/support/route-samples.ts with `audit: "<action>"`').toEqual(
      [],
    );
  });

  it('every other mutating route is listed with the test that covers its audit trail', () => {
    expect(otherRoutes.filter((key) => !NON_TENANT_ROUTES[key])).toEqual([]);
  });

  describe.each(tenantRoutes.filter((key) => ROUTE_SAMPLES[key]?.audit))('%s', (key) => {
    it(`writes ${ROUTE_SAMPLES[key]!.audit} in the same request`, async () => {
      const sample = ROUTE_SAMPLES[key]!;
      const method = key.split(' ')[0]!;
      const tenant = await buildTenant(app);
      await setPlan(app, tenant.id, 'agency');
      const req = await sample.build(app, tenant);
      const before = await headSeq(app, tenant.id);
      const res = await tenant.owner.client.request(method, req.path, {
        body: req.body,
        raw: req.raw,
        contentType: req.contentType,
        headers: { 'user-agent': 'audit-coverage-test' },
      });
      expect(res.status, res.text).toBeGreaterThanOrEqual(200);
      expect(res.status, res.text).toBeLessThan(300);
      const written = await eventsAfter(tenant.id, before);
      const event = written.find((e) => e.action === sample.audit);
      expect(
        event,
        `${key} wrote ${written.map((e) => e.action).join(', ') || 'nothing'}`,
      ).toBeDefined();
      expect(event).toMatchObject({
        actor_type: 'user',
        actor_id: tenant.owner.user.id,
        actor_label: tenant.owner.user.email,
        user_agent: 'audit-coverage-test',
        request_id: res.headers.get('x-request-id'),
      });
      expect(event!.ip).toBeTruthy();
      // Secrets never reach the log.
      expect(JSON.stringify(event!.changes ?? null)).not.toMatch(
        /rsk_|password|token_hash|key_hash/i,
      );
    });
  });
});

describe('mutating routes outside a workspace', () => {
  it('signup: the account has no workspace, so no chain records it', async () => {
    const { user } = await signUp(app);
    const rows = await app.database.db
      .selectFrom('audit_events')
      .select('seq')
      .where('actor_id', '=', user.id)
      .execute();
    expect(rows).toEqual([]);
  });

  it('tenants POST: tenant.created is event 1 of the new chain', async () => {
    const tenant = await buildTenant(app);
    const [created] = await eventsAfter(tenant.id, 0);
    expect(created).toMatchObject({
      seq: 1,
      action: 'tenant.created',
      actor_type: 'user',
      actor_id: tenant.owner.user.id,
      target_type: 'tenant',
      target_id: tenant.id,
      changes: {
        name: { from: null, to: tenant.name },
        subdomain: { from: null, to: tenant.subdomain },
      },
    });
  });

  it('invitations/accept: member.joined in the inviting workspace, by the new member', async () => {
    const tenant = await buildTenant(app);
    const invitee = await signUp(app);
    const invite = await tenant.owner.client.post('/api/v1/invitations', {
      email: invitee.user.email,
      role: 'member',
    });
    expect(invite.status, invite.text).toBe(201);
    const before = await headSeq(app, tenant.id);
    const accept = await invitee.client.post('/api/v1/invitations/accept', {
      token: invite.body.token,
    });
    expect(accept.status, accept.text).toBe(200);
    const written = await eventsAfter(tenant.id, before);
    expect(written.map((e) => e.action)).toEqual(['member.joined']);
    expect(written[0]).toMatchObject({
      actor_id: invitee.user.id,
      target_id: invitee.user.id,
      request_id: accept.headers.get('x-request-id'),
    });
    expect(JSON.stringify(written[0]!.changes)).not.toContain(invite.body.token);
  });

  it('login: a failed sign-in is a security event, and one in each workspace of the account', async () => {
    const tenant = await buildTenant(app);
    const before = await headSeq(app, tenant.id);
    const res = await app.client().post(
      '/api/v1/auth/login',
      { email: tenant.owner.user.email, password: 'not the password' },
      {
        headers: { 'user-agent': 'credential-stuffer' },
      },
    );
    expect(res.status).toBe(401);
    // The workspace copies are written by the worker, off the response path.
    const written = await eventually(async () => {
      const events = await eventsAfter(tenant.id, before);
      return events.length > 0 && events;
    });
    expect(written.map((e) => e.action)).toEqual(['security.login_failed']);
    expect(written[0]).toMatchObject({
      actor_id: tenant.owner.user.id,
      user_agent: 'credential-stuffer',
    });
    const unknown = `nobody-${uniq()}@example.test`;
    expect(
      (await app.client().post('/api/v1/auth/login', { email: unknown, password: PASSWORD }))
        .status,
    ).toBe(401);
    const global = await app.database.db
      .selectFrom('security_events')
      .select('kind')
      .where('email', '=', unknown)
      .execute();
    expect(global.map((e) => e.kind)).toEqual(['auth.login_failed']);
  });

  it('logout: ends the session and changes no workspace data', async () => {
    const tenant = await buildTenant(app);
    const before = await headSeq(app, tenant.id);
    expect((await tenant.owner.client.post('/api/v1/auth/logout')).status).toBe(204);
    expect(await headSeq(app, tenant.id)).toBe(before);
  });

  it('a denied request is a security event in the workspace it targeted', async () => {
    const tenant = await buildTenant(app);
    const member = await (async () => {
      const user = await signUp(app);
      const site = await tenant.owner.client.post('/api/v1/sites', {
        name: 'Granted',
        domain: `granted-${uniq()}.example.test`,
      });
      const invite = await tenant.owner.client.post('/api/v1/invitations', {
        email: user.user.email,
        role: 'client',
        siteIds: [site.body.id],
      });
      await user.client.post('/api/v1/invitations/accept', { token: invite.body.token });
      user.client.tenant = tenant.id;
      return user;
    })();
    const before = await headSeq(app, tenant.id);
    const res = await member.client.patch('/api/v1/tenant', { name: 'Taken over' });
    expect(res.status).toBe(403);
    const written = await eventsAfter(tenant.id, before);
    expect(written.map((e) => e.action)).toEqual(['security.access_denied']);
    expect(written[0]).toMatchObject({
      actor_id: member.user.id,
      target_type: 'route',
      target_id: 'PATCH /api/v1/tenant',
      changes: { role: 'client' },
    });
  });
});
