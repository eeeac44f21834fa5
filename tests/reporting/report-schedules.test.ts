import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  currentPeriodKey,
  latestOccurrence,
  nextOccurrence,
} from '../../src/server/domain/report-schedules/occurrences.ts';
import { addMember, buildTenant, eventually, uniq } from '../support/factories.ts';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp-server.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { auditActions, createService, createSite, importRows } from '../roi/helpers.ts';
import { pngImage } from './images.ts';
import {
  changeIdentityRowsAsOwner,
  tenantIdentity,
} from '../../src/server/data/identity-changes.ts';

describe('occurrences in the tenant time zone', () => {
  const weekly = { frequency: 'weekly' as const, dayOfWeek: 1, dayOfMonth: null, hour: 9 };
  const monthly = { frequency: 'monthly' as const, dayOfWeek: null, dayOfMonth: 1, hour: 0 };

  it('weekly: Monday 09:00 Berlin is 08:00 UTC in winter; before it the previous week is the latest', () => {
    const before = new Date('2026-12-07T07:59:00Z'); // Monday 08:59 in Berlin
    expect(latestOccurrence(weekly, before, 'Europe/Berlin')).toEqual({
      periodKey: '2026-W49',
      at: new Date('2026-11-30T08:00:00Z'),
    });
    expect(nextOccurrence(weekly, before, 'Europe/Berlin').at).toEqual(
      new Date('2026-12-07T08:00:00Z'),
    );
    expect(latestOccurrence(weekly, new Date('2026-12-07T08:00:00Z'), 'Europe/Berlin')).toEqual({
      periodKey: '2026-W50',
      at: new Date('2026-12-07T08:00:00Z'),
    });
    // Summer time: 07:00 UTC.
    expect(latestOccurrence(weekly, new Date('2026-07-06T12:00:00Z'), 'Europe/Berlin').at).toEqual(
      new Date('2026-07-06T07:00:00Z'),
    );
    expect(currentPeriodKey(weekly, before, 'Europe/Berlin')).toBe('2026-W50');
  });

  it('monthly: midnight of the 1st in New York; the year turns in the tenant zone, not in UTC', () => {
    // 23:30 on Dec 31 in New York is already January in UTC.
    const nyEve = new Date('2026-01-01T04:30:00Z');
    expect(latestOccurrence(monthly, nyEve, 'America/New_York')).toEqual({
      periodKey: '2025-12',
      at: new Date('2025-12-01T05:00:00Z'),
    });
    expect(currentPeriodKey(monthly, nyEve, 'America/New_York')).toBe('2025-12');
    expect(latestOccurrence(monthly, new Date('2026-01-01T05:00:00Z'), 'America/New_York')).toEqual(
      { periodKey: '2026-01', at: new Date('2026-01-01T05:00:00Z') },
    );
    // Half-hour zones and day 28.
    const day28 = { ...monthly, dayOfMonth: 28, hour: 9 };
    expect(nextOccurrence(day28, new Date('2026-02-10T00:00:00Z'), 'Asia/Kolkata')).toEqual({
      periodKey: '2026-02',
      at: new Date('2026-02-28T03:30:00Z'),
    });
    // An hour skipped by daylight saving runs at the first hour after the gap.
    const gap = { ...weekly, dayOfWeek: 7, hour: 2 };
    expect(nextOccurrence(gap, new Date('2026-03-28T12:00:00Z'), 'Europe/Berlin').at).toEqual(
      new Date('2026-03-29T01:00:00Z'),
    );
  });
});

let smtp: TestSmtpServer;
let app: TestApp;
let second: TestApp;
beforeAll(async () => {
  smtp = await startSmtpServer();
  const env = {
    SMTP_URL: smtp.url,
    MAIL_POLL_MS: '100',
    MAIL_FROM: 'ROI Reports <reports@roi.test>',
  };
  app = await startTestApp({ env });
  // A second worker (and API) on the same database: deliveries must still happen once.
  second = await startTestApp({ env, database: app.database });
});
afterAll(async () => {
  await second?.close();
  await app?.close();
  await smtp?.close();
});

const scheduleBody = (siteId: string, extra: Record<string, unknown> = {}) => ({
  name: 'Monthly client report',
  siteIds: [siteId],
  recipients: [`client-${uniq()}@example.test`],
  frequency: 'monthly',
  dayOfMonth: 1,
  hour: 8,
  period: { preset: 'last_30_days' },
  attachPdf: false,
  ...extra,
});

describe('report schedules', () => {
  it('validates: recipients 1–20, weekly needs dayOfWeek, monthly dayOfMonth, hour 0–23, presets, sites', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    const c = tenant.owner.client;
    const bad: [Record<string, unknown>, string][] = [
      [{ recipients: [] }, 'recipients'],
      [{ recipients: Array.from({ length: 21 }, (_, i) => `r${i}@example.test`) }, 'recipients'],
      [{ recipients: ['not-an-email'] }, 'recipients.0'],
      [{ frequency: 'weekly', dayOfMonth: undefined }, 'dayOfWeek'],
      [{ dayOfMonth: undefined }, 'dayOfMonth'],
      [{ dayOfMonth: 29 }, 'dayOfMonth'],
      [{ frequency: 'weekly', dayOfWeek: 8, dayOfMonth: undefined }, 'dayOfWeek'],
      [{ hour: 24 }, 'hour'],
      [{ period: { preset: 'last_7_years' } }, 'period.preset'],
      [{ period: { from: '2026-01-01', to: '2026-01-31' } }, 'period'],
      [{ siteIds: ['0190aaaa-0000-7000-8000-000000000000'] }, 'siteIds.0'],
      [{ frequency: 'daily' }, 'frequency'],
    ];
    for (const [patch, path] of bad) {
      const res = await c.post('/api/v1/report-schedules', scheduleBody(site.id, patch));
      expect(res.status, JSON.stringify(patch)).toBe(400);
      expect(
        res.body.errors.map((e: { path: string }) => e.path),
        JSON.stringify(patch),
      ).toContain(path);
    }
    expect((await c.get('/api/v1/report-schedules')).body.data).toEqual([]);

    const created = await c.post('/api/v1/report-schedules', scheduleBody(site.id));
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ frequency: 'monthly', dayOfMonth: 1, dayOfWeek: null });
    const toWeekly = await c.patch(`/api/v1/report-schedules/${created.body.id}`, {
      frequency: 'weekly',
    });
    expect(toWeekly.status).toBe(400);
    const weekly = await c.patch(`/api/v1/report-schedules/${created.body.id}`, {
      frequency: 'weekly',
      dayOfWeek: 5,
    });
    expect(weekly.status, weekly.text).toBe(200);
    expect(weekly.body).toMatchObject({ frequency: 'weekly', dayOfWeek: 5, dayOfMonth: null });
    expect((await c.delete(`/api/v1/report-schedules/${created.body.id}`)).status).toBe(204);
    expect((await c.get(`/api/v1/report-schedules/${created.body.id}`)).status).toBe(404);
    expect(
      (await auditActions(app, tenant.id)).filter((a) => a.startsWith('report_schedule.')),
    ).toEqual(['report_schedule.created', 'report_schedule.updated', 'report_schedule.deleted']);
  });

  it('send now: 202 with the delivery, 409 naming it while under way and once sent; one branded e-mail with KPIs, link and PDF', async () => {
    const tenant = await buildTenant(app, 'Sender Agency');
    await changeIdentityRowsAsOwner(app.database, [tenantIdentity(tenant.id)], (tx) =>
      tx
        .updateTable('tenants')
        .set({ branding: JSON.stringify({ displayName: 'Acme Reports', primaryColor: '#117733' }) })
        .where('id', '=', tenant.id)
        .execute(),
    );
    const logo = await tenant.owner.client.request('PUT', '/api/v1/tenant/logo', {
      raw: pngImage(40, 20),
      contentType: 'image/png',
    });
    expect(logo.status, logo.text).toBe(200);
    const site = await createSite(tenant, { name: 'Shop' });
    await createService(tenant, site.id, { startDate: '2025-01-01', amount: 300_000 });
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await importRows(tenant, site.id, [{ date: yesterday, revenue: 1_234_500, sessions: 10 }]);
    const body = scheduleBody(site.id, { attachPdf: true });
    const c = tenant.owner.client;
    const created = await c.post('/api/v1/report-schedules', body);
    expect(created.status, created.text).toBe(201);
    const id = created.body.id as string;

    const preview = await c.get(`/api/v1/report-schedules/${id}/preview`);
    expect(preview.status, preview.text).toBe(200);
    expect(preview.body.text).toContain('Value:');

    const sent = await c.post(`/api/v1/report-schedules/${id}/send`);
    expect(sent.status, sent.text).toBe(202);
    expect(sent.body).toMatchObject({ status: 'pending', trigger: 'manual', scheduleId: id });
    const periodKey = sent.body.periodKey as string;
    expect(periodKey).toMatch(/^\d{4}-\d{2}$/);
    const again = await c.post(`/api/v1/report-schedules/${id}/send`);
    expect(again.status).toBe(409);
    expect(again.body.detail).toContain(sent.body.id);

    const to = body.recipients[0]!;
    const mail = await eventually(
      async () => smtp.received.find((m) => m.envelopeTo.includes(to)),
      20_000,
    );
    expect(mail.messageId).toBe(`<${id}.${periodKey}@roi.test>`);
    expect(mail.parsed.from?.value).toEqual([
      { name: 'Acme Reports', address: 'reports@roi.test' },
    ]);
    expect(mail.parsed.subject).toContain('Monthly client report');
    expect(mail.parsed.text).toContain('Value: $12,345.00');
    // Either worker may build it: each links to its own APP_URL.
    expect(mail.parsed.text).toMatch(
      new RegExp(`http://127\\.0\\.0\\.1:\\d+/w/${tenant.subdomain}\\?`),
    );
    expect(String(mail.parsed.html)).toContain('#117733');
    // The logo, by its public URL (mail clients fetch it), answers with the uploaded image.
    const logoSrc = /<img src="([^"]+)" alt="Acme Reports logo"/.exec(
      String(mail.parsed.html),
    )?.[1];
    expect(logoSrc).toMatch(
      new RegExp(
        `^http://127\\.0\\.0\\.1:\\d+/api/v1/tenant/logo\\?tenant=${tenant.subdomain}&amp;v=`,
      ),
    );
    const served = await fetch(logoSrc!.replaceAll('&amp;', '&'));
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(mail.parsed.attachments).toHaveLength(1);
    expect(mail.parsed.attachments[0]!.contentType).toBe('application/pdf');
    expect(mail.parsed.attachments[0]!.content.subarray(0, 5).toString()).toBe('%PDF-');

    const delivered = await eventually(async () => {
      const list = await c.get(`/api/v1/report-schedules/${id}/deliveries`);
      return list.body.data[0]?.status === 'sent' ? list.body.data : null;
    });
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({ id: sent.body.id, periodKey, recipients: [to] });
    const afterSent = await c.post(`/api/v1/report-schedules/${id}/send`);
    expect(afterSent.status).toBe(409);
    expect(afterSent.body.detail).toContain('already delivered');
    const outbox = await c.get('/api/v1/outbox');
    expect(outbox.body.data.filter((m: { kind: string }) => m.kind === 'report')).toHaveLength(1);
    expect(smtp.received.filter((m) => m.envelopeTo.includes(to))).toHaveLength(1);
  });

  it('a due occurrence is delivered once by two workers', async () => {
    const tenant = await buildTenant(app);
    await changeIdentityRowsAsOwner(app.database, [tenantIdentity(tenant.id)], (tx) =>
      tx
        .updateTable('tenants')
        .set({ timezone: 'Pacific/Auckland' })
        .where('id', '=', tenant.id)
        .execute(),
    );
    const site = await createSite(tenant);
    const body = scheduleBody(site.id, {
      frequency: 'weekly',
      dayOfWeek: 1,
      dayOfMonth: undefined,
      hour: 0,
    });
    const created = await tenant.owner.client.post('/api/v1/report-schedules', body);
    expect(created.status, created.text).toBe(201);
    const id = created.body.id as string;
    // Made long ago: its latest occurrence (last Monday 00:00 in Auckland) is due now.
    await app.database.db
      .updateTable('report_schedules')
      .set({ created_at: new Date('2026-01-01T00:00:00Z') })
      .where('id', '=', id)
      .execute();
    const expectedKey = latestOccurrence(
      { frequency: 'weekly', dayOfWeek: 1, dayOfMonth: null, hour: 0 },
      new Date(),
      'Pacific/Auckland',
    ).periodKey;
    const to = body.recipients[0]!;
    const mail = await eventually(
      async () => smtp.received.find((m) => m.envelopeTo.includes(to)),
      20_000,
    );
    expect(mail.messageId).toBe(`<${id}.${expectedKey}@roi.test>`);
    const deliveries = await eventually(async () => {
      const list = await tenant.owner.client.get(`/api/v1/report-schedules/${id}/deliveries`);
      return list.body.data[0]?.status === 'sent' ? list.body.data : null;
    });
    expect(deliveries).toEqual([
      expect.objectContaining({ periodKey: expectedKey, trigger: 'schedule' }),
    ]);
    const rows = await app.database.db
      .selectFrom('outbox_messages')
      .select('id')
      .where('tenant_id', '=', tenant.id)
      .where('kind', '=', 'report')
      .execute();
    expect(rows).toHaveLength(1);
    expect(smtp.received.filter((m) => m.envelopeTo.includes(to))).toHaveLength(1);
  });

  it('clients and members cannot reach schedules; another workspace gets 404', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    const created = await tenant.owner.client.post(
      '/api/v1/report-schedules',
      scheduleBody(site.id),
    );
    const id = created.body.id as string;
    const member = await addMember(app, tenant, 'member');
    expect((await member.client.get('/api/v1/report-schedules')).status).toBe(403);
    const stranger = await buildTenant(app);
    for (const path of [
      `/api/v1/report-schedules/${id}`,
      `/api/v1/report-schedules/${id}/deliveries`,
      `/api/v1/report-schedules/${id}/preview`,
    ]) {
      expect((await stranger.owner.client.get(path)).status, path).toBe(404);
    }
    expect((await stranger.owner.client.post(`/api/v1/report-schedules/${id}/send`)).status).toBe(
      404,
    );
    expect((await stranger.owner.client.delete(`/api/v1/report-schedules/${id}`)).status).toBe(404);
  });
});
