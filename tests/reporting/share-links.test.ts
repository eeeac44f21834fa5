import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { addMember, buildTenant, type TestTenant } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import type { TestClient, TestResponse } from '../support/test-client.ts';
import { auditActions, createService, createSite, importRows, setPlan } from '../roi/helpers.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});
afterEach(() => {
  vi.useRealTimers();
});

const MARCH = { from: '2026-03-01', to: '2026-03-31' };
const tokenOf = (url: string) => url.slice(url.lastIndexOf('/r/') + 3);
const comparable = (res: TestResponse) => ({
  status: res.status,
  body: { ...res.body, instance: undefined },
});

/** A workspace with two sites; only the first is shared. */
async function sharedWorkspace() {
  const t = await buildTenant(app, 'Northwind Agency');
  await setPlan(app, t, 'agency');
  const shared = await createSite(t, { name: 'Shared Shop', domain: 'shared-shop.example' });
  const hidden = await createSite(t, { name: 'Hidden Corp', domain: 'hidden-corp.example' });
  await importRows(t, shared.id, [
    { date: '2026-02-10', revenue: 200_000 },
    { date: '2026-03-05', revenue: 500_000, sessions: 40 },
  ]);
  await importRows(t, hidden.id, [{ date: '2026-03-05', revenue: 900_000 }]);
  await createService(t, shared.id, {
    name: 'Site audit',
    billing: 'one_time',
    amount: 120_000,
    startDate: '2026-03-02',
  });
  await createService(t, hidden.id, {
    name: 'Secret retainer',
    billing: 'one_time',
    amount: 70_000,
    startDate: '2026-03-03',
  });
  await t.owner.client.post('/api/v1/annotations', {
    siteId: shared.id,
    date: '2026-03-12',
    title: 'New category pages',
  });
  await t.owner.client.post('/api/v1/annotations', {
    siteId: hidden.id,
    date: '2026-03-13',
    title: 'Hidden launch',
  });
  return { t, shared, hidden };
}

async function createLink(c: TestClient, body: Record<string, unknown>) {
  const res = await c.post('/api/v1/report-links', body);
  expect(res.status, res.text).toBe(201);
  return res.body as { id: string; url: string; views: number };
}

describe('share links: management', () => {
  it('creates, lists, changes and revokes a link; audited; the URL carries a 256-bit token', async () => {
    const { t, shared } = await sharedWorkspace();
    const c = t.owner.client;
    const link = await createLink(c, {
      name: 'March for Shared Shop',
      siteIds: [shared.id],
      period: MARCH,
      password: 'open sesame',
      expiresAt: '2999-01-01T00:00:00Z',
    });
    expect(link).toMatchObject({
      name: 'March for Shared Shop',
      siteIds: [shared.id],
      period: MARCH,
      hasPassword: true,
      views: 0,
      lastViewedAt: null,
      expiresAt: '2999-01-01T00:00:00.000Z',
    });
    expect(link.url).toMatch(new RegExp(`^${app.baseUrl}/r/[A-Za-z0-9_-]{43}$`));
    expect(JSON.stringify(link)).not.toContain('open sesame');

    const listed = await c.get('/api/v1/report-links');
    expect(listed.status).toBe(200);
    expect(listed.body.data).toEqual([link]);
    expect((await c.get(`/api/v1/report-links?siteId=${shared.id}`)).body.data).toHaveLength(1);

    const patched = await c.patch(`/api/v1/report-links/${link.id}`, {
      name: 'Last 90 days',
      period: { preset: 'last_90_days' },
      password: null,
      expiresAt: null,
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({
      name: 'Last 90 days',
      period: { preset: 'last_90_days' },
      hasPassword: false,
      expiresAt: null,
      url: link.url,
    });

    expect((await c.delete(`/api/v1/report-links/${link.id}`)).status).toBe(204);
    expect((await c.get('/api/v1/report-links')).body.data).toEqual([]);
    expect((await c.delete(`/api/v1/report-links/${link.id}`)).status).toBe(404);
    expect((await c.patch(`/api/v1/report-links/${link.id}`, { name: 'x' })).status).toBe(404);
    const actions = await auditActions(app, t.id);
    for (const action of ['report_link.created', 'report_link.updated', 'report_link.revoked']) {
      expect(actions).toContain(action);
    }
  });

  it('refuses a past expiry, no site, bad periods and sites of another workspace', async () => {
    const { t, shared } = await sharedWorkspace();
    const other = await buildTenant(app);
    const foreignSite = await createSite(other);
    const c = t.owner.client;
    const base = { name: 'L', siteIds: [shared.id], period: MARCH };
    const bad: [Record<string, unknown>, number][] = [
      [{ ...base, expiresAt: '2020-01-01T00:00:00Z' }, 400],
      [{ ...base, siteIds: [] }, 400],
      [{ ...base, period: { preset: 'last_week' } }, 400],
      [{ ...base, period: { from: '2026-03-10', to: '2026-03-01' } }, 400],
      [{ ...base, password: 'short' }, 400],
      [{ ...base, siteIds: [foreignSite.id] }, 404],
      [{ ...base, siteIds: [shared.id, foreignSite.id] }, 404],
    ];
    for (const [body, status] of bad) {
      const res = await c.post('/api/v1/report-links', body);
      expect(res.status, JSON.stringify(body)).toBe(status);
    }
    expect((await c.get('/api/v1/report-links')).body.data).toEqual([]);
  });

  it('another workspace gets 404; a client cannot manage links and reads only those of its sites', async () => {
    const { t, shared, hidden } = await sharedWorkspace();
    const mine = await createLink(t.owner.client, {
      name: 'Shared only',
      siteIds: [shared.id],
      period: MARCH,
    });
    await createLink(t.owner.client, {
      name: 'Both',
      siteIds: [shared.id, hidden.id],
      period: MARCH,
    });
    const client = await addMember(app, t, 'client', [shared.id]);
    const seen = await client.client.get('/api/v1/report-links');
    expect(seen.status).toBe(200);
    expect(seen.body.data.map((l: { name: string }) => l.name)).toEqual(['Shared only']);
    const create = await client.client.post('/api/v1/report-links', {
      name: 'x',
      siteIds: [shared.id],
      period: MARCH,
    });
    expect(create.status).toBe(403);
    expect(
      (await client.client.patch(`/api/v1/report-links/${mine.id}`, { name: 'y' })).status,
    ).toBe(403);
    expect((await client.client.delete(`/api/v1/report-links/${mine.id}`)).status).toBe(403);

    const member = await addMember(app, t, 'member');
    expect(
      (
        await member.client.post('/api/v1/report-links', {
          name: 'm',
          siteIds: [shared.id],
          period: MARCH,
        })
      ).status,
    ).toBe(201);

    const stranger = await buildTenant(app);
    const s = stranger.owner.client;
    const patch = await s.patch(
      `/api/v1/report-links/${mine.id}`,
      { name: 'taken' },
      { tenant: t.id },
    );
    expect(patch.status).toBe(404);
    const own = await s.patch(`/api/v1/report-links/${mine.id}`, { name: 'taken' });
    const unknown = await s.patch(`/api/v1/report-links/00000000-0000-4000-8000-000000000000`, {
      name: 'taken',
    });
    expect(comparable(own)).toEqual(comparable(unknown));
    expect((await s.delete(`/api/v1/report-links/${mine.id}`)).status).toBe(404);
    expect((await s.get('/api/v1/report-links')).body.data).toEqual([]);
    expect((await t.owner.client.get('/api/v1/report-links')).body.data[0].name).toBe(
      'Shared only',
    );
  });
});

describe('share links: the public report', () => {
  it("shows the link's sites and period only, with comparison and annotations; counts views", async () => {
    const { t, shared } = await sharedWorkspace();
    await t.owner.client.patch('/api/v1/tenant', {
      branding: { displayName: 'Northwind SEO', primaryColor: '#0a7d55' },
    });
    const link = await createLink(t.owner.client, {
      name: 'March',
      siteIds: [shared.id],
      period: MARCH,
    });
    const anon = app.client();
    const res = await anon.get(`/api/v1/public/reports/${tokenOf(link.url)}`);
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.body.branding).toMatchObject({ name: 'Northwind SEO', primaryColor: '#0a7d55' });
    expect(res.body.sites).toEqual([
      { id: shared.id, name: 'Shared Shop', domain: 'shared-shop.example' },
    ]);
    expect(res.body.report).toMatchObject({ from: '2026-03-01', to: '2026-03-31', groupBy: 'day' });
    expect(res.body.report.totals).toMatchObject({
      revenue: 500_000,
      cost: 120_000,
      profit: 380_000,
    });
    expect(res.body.report.comparison).toMatchObject({
      from: '2026-01-29',
      to: '2026-02-28',
      totals: { revenue: 200_000, cost: 0 },
    });
    expect(res.body.siteReport.series.map((s: { key: string }) => s.key)).toEqual([shared.id]);
    expect(res.body.annotations.map((a: { title: string }) => a.title)).toEqual([
      'One-off: Site audit',
      'New category pages',
    ]);
    const text = res.text;
    for (const secret of [
      'Hidden',
      'hidden-corp',
      'Secret retainer',
      '900000',
      t.owner.user.email,
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(Object.keys(res.body).sort()).toEqual(
      ['annotations', 'branding', 'name', 'period', 'report', 'siteReport', 'sites'].sort(),
    );

    await anon.get(`/api/v1/public/reports/${tokenOf(link.url)}`);
    const listed = (await t.owner.client.get('/api/v1/report-links')).body.data[0];
    expect(listed.views).toBe(2);
    expect(Date.parse(listed.lastViewedAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('resolves a preset in the workspace time zone when the link is read', async () => {
    const { t, shared } = await sharedWorkspace();
    await t.owner.client.patch('/api/v1/tenant', { timezone: 'Pacific/Kiritimati' });
    const link = await createLink(t.owner.client, {
      name: 'Rolling',
      siteIds: [shared.id],
      period: { preset: 'last_30_days' },
    });
    const res = await app.client().get(`/api/v1/public/reports/${tokenOf(link.url)}`);
    expect(res.status).toBe(200);
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Pacific/Kiritimati' }).format(
      new Date(),
    );
    const yesterday = new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000)
      .toISOString()
      .slice(0, 10);
    expect(res.body.report.to).toBe(yesterday);
  });

  it('unknown, revoked and expired links are the same 404, page included', async () => {
    const { t, shared } = await sharedWorkspace();
    const revoked = await createLink(t.owner.client, {
      name: 'r',
      siteIds: [shared.id],
      period: MARCH,
    });
    const expired = await createLink(t.owner.client, {
      name: 'e',
      siteIds: [shared.id],
      period: MARCH,
    });
    const live = await createLink(t.owner.client, {
      name: 'l',
      siteIds: [shared.id],
      period: MARCH,
    });
    await t.owner.client.delete(`/api/v1/report-links/${revoked.id}`);
    await app.database.db
      .updateTable('report_links')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', expired.id)
      .execute();
    const anon = app.client();
    const unknownToken = 'A'.repeat(43);
    const answers = [];
    for (const token of [tokenOf(revoked.url), tokenOf(expired.url), unknownToken, 'bad!token']) {
      const res = await anon.get(`/api/v1/public/reports/${encodeURIComponent(token)}`);
      answers.push(comparable(res));
      const unlock = await anon.post(`/api/v1/public/reports/${encodeURIComponent(token)}/unlock`, {
        password: 'whatever',
      });
      answers.push(comparable(unlock));
    }
    expect(answers[0]!.status).toBe(404);
    for (const a of answers) expect(a).toEqual(answers[0]);
    expect((await anon.get(`/api/v1/public/reports/${tokenOf(live.url)}`)).status).toBe(200);
    // Views of links that answered 404 are not counted.
    const rows = await app.database.db
      .selectFrom('report_links')
      .select(['id', 'views'])
      .where('tenant_id', '=', t.id)
      .execute();
    expect(rows.find((r) => r.id === expired.id)!.views).toBe(0);
  });
});

describe('share links: passwords', () => {
  async function protectedLinks(t: TestTenant, siteId: string) {
    const a = await createLink(t.owner.client, {
      name: 'A',
      siteIds: [siteId],
      period: MARCH,
      password: 'same password',
    });
    const b = await createLink(t.owner.client, {
      name: 'B',
      siteIds: [siteId],
      period: MARCH,
      password: 'same password',
    });
    return { a, b };
  }

  it('401 until unlocked; the cookie is scoped to that one link', async () => {
    const { t, shared } = await sharedWorkspace();
    const { a, b } = await protectedLinks(t, shared.id);
    const anon = app.client();
    const path = `/api/v1/public/reports/${tokenOf(a.url)}`;
    const locked = await anon.get(path);
    expect(locked.status).toBe(401);
    expect(locked.body.passwordRequired).toBe(true);
    expect(locked.text).not.toContain('Shared Shop');
    expect((await anon.get(`${path}?format=pdf`)).status).toBe(401);

    const wrong = await anon.post(`${path}/unlock`, { password: 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.getSetCookie()).toEqual([]);

    const right = await anon.post(`${path}/unlock`, { password: 'same password' });
    expect(right.status).toBe(204);
    const cookie = right.headers.getSetCookie()[0]!;
    expect(cookie).toMatch(/^report_unlock=/);
    expect(cookie).toContain(`Path=${path}`);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    const value = cookie.split(';')[0]!;
    // A reader with no cookie jar of its own: only the cookie each request names is sent.
    const reader = app.client();

    const unlocked = await reader.get(path, { headers: { cookie: value } });
    expect(unlocked.status, unlocked.text).toBe(200);
    // The same cookie sent to another link (same password) unlocks nothing.
    const other = await reader.get(`/api/v1/public/reports/${tokenOf(b.url)}`, {
      headers: { cookie: value },
    });
    expect(other.status).toBe(401);
    // A forged or tampered cookie neither.
    const forged = value.replace(/.$/, (ch) => (ch === 'A' ? 'B' : 'A'));
    expect((await reader.get(path, { headers: { cookie: forged } })).status).toBe(401);
    // A new password locks the reader out again.
    await t.owner.client.patch(`/api/v1/report-links/${a.id}`, { password: 'another one' });
    expect((await reader.get(path, { headers: { cookie: value } })).status).toBe(401);
  });

  it('after 10 wrong passwords in a minute every attempt is 429 until the minute has passed', async () => {
    const { t, shared } = await sharedWorkspace();
    const { a, b } = await protectedLinks(t, shared.id);
    const anon = app.client();
    const unlock = (token: string, password: string) =>
      anon.post(`/api/v1/public/reports/${token}/unlock`, { password });
    const token = tokenOf(a.url);
    for (let i = 0; i < 10; i++) expect((await unlock(token, `wrong ${i}`)).status).toBe(401);
    const blocked = await unlock(token, 'same password');
    expect(blocked.status).toBe(429);
    const retryAfter = Number(blocked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await unlock(token, 'wrong again')).status).toBe(429);
    // Another link is not affected.
    expect((await unlock(tokenOf(b.url), 'same password')).status).toBe(204);

    // The minute passes: on Redis its counter expires; in process the clock moves on.
    const redis = app.services.redis;
    if (redis) {
      await redis.pexpire(`rl:report-unlock:${a.id}`, 1);
    } else {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + (retryAfter + 1) * 1000);
    }
    let recovered: TestResponse | undefined;
    for (let i = 0; i < 50 && recovered?.status !== 204; i++) {
      recovered = await unlock(token, 'same password');
    }
    expect(recovered!.status).toBe(204);
  });
});
