import { expect } from 'vitest';
import type { RouteSample } from './route-samples.ts';
import { uniq, type TestTenant } from './factories.ts';

/** Creates a site through the API (kept here so this file needs nothing from route-samples.ts at load). */
async function site(tenant: TestTenant): Promise<string> {
  const res = await tenant.owner.client.post(
    '/api/v1/sites',
    { name: `Site ${uniq()}`, domain: `${uniq()}.example.com` },
    { tenant: tenant.id },
  );
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

/** Creates a monthly report schedule of one new site through the API; returns its id. */
export async function sampleSchedule(tenant: TestTenant): Promise<string> {
  const res = await tenant.owner.client.post(
    '/api/v1/report-schedules',
    {
      name: `Report ${uniq()}`,
      siteIds: [await site(tenant)],
      recipients: ['client@example.test'],
      frequency: 'monthly',
      dayOfMonth: 1,
      hour: 8,
      period: { preset: 'previous_month' },
    },
    { tenant: tenant.id },
  );
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

/** Samples of the annotation, outbox and report-schedule routes (see route-samples.ts). */
export function REPORTING_MAIL_SAMPLES(): Record<string, RouteSample> {
  return {
    'GET /api/v1/annotations': {
      build: async (_app, tenant) => ({ path: `/api/v1/annotations?siteId=${await site(tenant)}` }),
      ownsObjects: true,
    },
    'POST /api/v1/annotations': {
      build: async (_app, tenant) => ({
        path: '/api/v1/annotations',
        body: { siteId: await site(tenant), date: '2026-03-01', title: 'New landing pages' },
      }),
      audit: 'annotation.created',
    },
    'DELETE /api/v1/annotations/:id': {
      build: async (_app, tenant) => {
        const res = await tenant.owner.client.post(
          '/api/v1/annotations',
          { date: '2026-03-01', title: 'Core update' },
          { tenant: tenant.id },
        );
        expect(res.status, res.text).toBe(201);
        return { path: `/api/v1/annotations/${res.body.id}` };
      },
      audit: 'annotation.deleted',
      ownsObjects: true,
    },
    'GET /api/v1/outbox': { build: async () => ({ path: '/api/v1/outbox' }) },
    'GET /api/v1/outbox/:id': {
      build: async (_app, tenant) => {
        const invite = await tenant.owner.client.post(
          '/api/v1/invitations',
          { email: `inv-${uniq()}@example.test`, role: 'member' },
          { tenant: tenant.id },
        );
        expect(invite.status, invite.text).toBe(201);
        const list = await tenant.owner.client.get('/api/v1/outbox', { tenant: tenant.id });
        expect(list.status, list.text).toBe(200);
        return { path: `/api/v1/outbox/${list.body.data[0].id}` };
      },
      ownsObjects: true,
    },
    'POST /api/v1/report-schedules': {
      build: async (_app, tenant) => ({
        path: '/api/v1/report-schedules',
        body: {
          name: 'Weekly',
          siteIds: [await site(tenant)],
          recipients: ['client@example.test'],
          frequency: 'weekly',
          dayOfWeek: 1,
          hour: 7,
          period: { preset: 'last_30_days' },
        },
      }),
      audit: 'report_schedule.created',
    },
    'GET /api/v1/report-schedules': { build: async () => ({ path: '/api/v1/report-schedules' }) },
    'GET /api/v1/report-schedules/:id': {
      build: async (_app, tenant) => ({
        path: `/api/v1/report-schedules/${await sampleSchedule(tenant)}`,
      }),
      ownsObjects: true,
    },
    'PATCH /api/v1/report-schedules/:id': {
      build: async (_app, tenant) => ({
        path: `/api/v1/report-schedules/${await sampleSchedule(tenant)}`,
        body: { hour: 9 },
      }),
      audit: 'report_schedule.updated',
      ownsObjects: true,
    },
    'DELETE /api/v1/report-schedules/:id': {
      build: async (_app, tenant) => ({
        path: `/api/v1/report-schedules/${await sampleSchedule(tenant)}`,
      }),
      audit: 'report_schedule.deleted',
      ownsObjects: true,
    },
    'GET /api/v1/report-schedules/:id/deliveries': {
      build: async (_app, tenant) => ({
        path: `/api/v1/report-schedules/${await sampleSchedule(tenant)}/deliveries`,
      }),
      ownsObjects: true,
    },
    'POST /api/v1/report-schedules/:id/send': {
      build: async (_app, tenant) => ({
        path: `/api/v1/report-schedules/${await sampleSchedule(tenant)}/send`,
      }),
      audit: 'report_schedule.sent_now',
      ownsObjects: true,
    },
    'GET /api/v1/report-schedules/:id/preview': {
      build: async (_app, tenant) => ({
        path: `/api/v1/report-schedules/${await sampleSchedule(tenant)}/preview`,
      }),
      ownsObjects: true,
    },
  };
}
