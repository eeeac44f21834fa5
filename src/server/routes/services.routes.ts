import { IdParams, ListQuery, Page } from '../../shared/schemas/common.ts';
import {
  CreateServiceBody,
  CreateTimeEntryBody,
  ListServicesQuery,
  Service,
  TimeEntry,
  TimeEntryParams,
  UpdateServiceBody,
} from '../../shared/schemas/roi.ts';
import { diffChanges } from '../domain/audit/record-audit-event.ts';
import { invalidateReports } from '../domain/reports/report-cache.ts';
import {
  createService,
  deleteService,
  getVisibleService,
  listServices,
  presentService,
  presentServiceFor,
  updateService,
} from '../domain/services/services.ts';
import {
  createTimeEntry,
  deleteTimeEntry,
  listTimeEntries,
  presentTimeEntry,
} from '../domain/services/time-entries.ts';
import { createdChanges, deletedChanges } from '../domain/sites/changes.ts';
import { viewerOf } from '../domain/sites/viewer.ts';
import { defineRoute, requireTenant } from '../http/define-route.ts';

const SERVICE_FIELDS = [
  'siteId',
  'name',
  'category',
  'billing',
  'amount',
  'startDate',
  'endDate',
] as const;

export const serviceRoutes = [
  defineRoute({
    method: 'post',
    path: '/api/v1/services',
    tag: 'Services',
    summary: 'Record a service',
    description:
      'billing: monthly (amount per calendar month, accrued by day: each month’s amount spread over its days, the remainder cents one each to its first days, on each day of startDate..endDate, open-ended up to a report’s end), one_time (amount on startDate) or hourly (amount per hour of time entries, rounded per entry). Amounts in minor units.',
    body: CreateServiceBody,
    responses: { 201: { description: 'Created', schema: Service } },
    async handler(ctx, { body }) {
      const tenant = requireTenant(ctx);
      const service = presentService(
        await createService(ctx.tx, tenant.id, viewerOf(ctx), body),
        tenant.currency,
      );
      await ctx.audit({
        action: 'service.created',
        target: { type: 'service', id: service.id },
        changes: createdChanges(service, SERVICE_FIELDS),
      });
      ctx.afterCommit(() => invalidateReports(ctx.services.cache, tenant.id));
      return { status: 201, body: service };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/services',
    tag: 'Services',
    summary: 'List services',
    description:
      "Of one site with ?siteId=, else of every site the caller may see; oldest first. A `client` member sees the services of their granted sites without an hourly service's `amount` (the agency's rate).",
    query: ListServicesQuery,
    responses: { 200: { description: 'Services', schema: Page(Service) } },
    async handler(ctx, { query }) {
      const tenant = requireTenant(ctx);
      const page = await listServices(ctx.tx, tenant.id, viewerOf(ctx), query);
      return {
        status: 200,
        body: {
          data: page.data.map((s) => presentServiceFor(s, tenant.currency, ctx.role)),
          nextCursor: page.nextCursor,
        },
      };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/services/:id',
    tag: 'Services',
    summary: 'Read a service',
    description:
      "A `client` member reads the services of their granted sites (others: 404), without an hourly service's `amount`.",
    params: IdParams,
    responses: { 200: { description: 'The service', schema: Service } },
    async handler(ctx, { params }) {
      const tenant = requireTenant(ctx);
      const row = await getVisibleService(ctx.tx, tenant.id, viewerOf(ctx), params.id);
      return { status: 200, body: presentServiceFor(row, tenant.currency, ctx.role) };
    },
  }),
  defineRoute({
    method: 'patch',
    path: '/api/v1/services/:id',
    tag: 'Services',
    summary: 'Change a service',
    description:
      'Any field but siteId; endDate null makes it open-ended. Costs are recomputed from the new values.',
    params: IdParams,
    body: UpdateServiceBody,
    responses: { 200: { description: 'The service', schema: Service } },
    async handler(ctx, { params, body }) {
      const tenant = requireTenant(ctx);
      const result = await updateService(ctx.tx, tenant.id, viewerOf(ctx), params.id, body);
      const before = presentService(result.before, tenant.currency);
      const after = presentService(result.after, tenant.currency);
      const changes = diffChanges(before, after, SERVICE_FIELDS);
      if (Object.keys(changes).length > 0) {
        await ctx.audit({
          action: 'service.updated',
          target: { type: 'service', id: after.id },
          changes,
        });
        ctx.afterCommit(() => invalidateReports(ctx.services.cache, tenant.id));
      }
      return { status: 200, body: after };
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/api/v1/services/:id',
    tag: 'Services',
    summary: 'Delete a service',
    description: 'Deletes its time entries too.',
    params: IdParams,
    responses: { 204: { description: 'Deleted' } },
    async handler(ctx, { params }) {
      const tenant = requireTenant(ctx);
      const row = await deleteService(ctx.tx, tenant.id, viewerOf(ctx), params.id);
      await ctx.audit({
        action: 'service.deleted',
        target: { type: 'service', id: row.id },
        changes: deletedChanges(presentService(row, tenant.currency), SERVICE_FIELDS),
      });
      ctx.afterCommit(() => invalidateReports(ctx.services.cache, tenant.id));
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/services/:id/time-entries',
    tag: 'Services',
    summary: 'Log hours on an hourly service',
    description:
      'hours: more than 0, at most 24, two decimals. Costs hours × amount, rounded to the minor unit. 409 on a service that is not hourly.',
    params: IdParams,
    body: CreateTimeEntryBody,
    responses: { 201: { description: 'Created', schema: TimeEntry } },
    async handler(ctx, { params, body }) {
      const tenant = requireTenant(ctx);
      const { entry, service } = await createTimeEntry(
        ctx.tx,
        tenant.id,
        viewerOf(ctx),
        params.id,
        body,
      );
      const view = presentTimeEntry(entry, service, tenant.currency);
      await ctx.audit({
        action: 'time_entry.created',
        target: { type: 'time_entry', id: view.id },
        changes: {
          serviceId: { from: null, to: view.serviceId },
          date: { from: null, to: view.date },
          hours: { from: null, to: view.hours },
          ...(view.note !== null ? { note: { from: null, to: view.note } } : {}),
        },
      });
      ctx.afterCommit(() => invalidateReports(ctx.services.cache, tenant.id));
      return { status: 201, body: view };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/services/:id/time-entries',
    tag: 'Services',
    summary: 'List time entries of a service',
    description:
      "By date, oldest first. Staff only: the agency's notes and hours at its rate are internal (a `client` member gets 403).",
    params: IdParams,
    query: ListQuery,
    responses: { 200: { description: 'Time entries', schema: Page(TimeEntry) } },
    async handler(ctx, { params, query }) {
      const tenant = requireTenant(ctx);
      const page = await listTimeEntries(ctx.tx, tenant.id, viewerOf(ctx), params.id, query);
      return {
        status: 200,
        body: {
          data: page.data.map((e) => presentTimeEntry(e, page.service, tenant.currency)),
          nextCursor: page.nextCursor,
        },
      };
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/api/v1/services/:id/time-entries/:entryId',
    tag: 'Services',
    summary: 'Delete a time entry',
    params: TimeEntryParams,
    responses: { 204: { description: 'Deleted' } },
    async handler(ctx, { params }) {
      const tenant = requireTenant(ctx);
      const { entry } = await deleteTimeEntry(
        ctx.tx,
        tenant.id,
        viewerOf(ctx),
        params.id,
        params.entryId,
      );
      await ctx.audit({
        action: 'time_entry.deleted',
        target: { type: 'time_entry', id: entry.id },
        changes: {
          serviceId: { from: entry.service_id, to: null },
          date: { from: entry.date, to: null },
          hours: { from: Number(entry.hours), to: null },
        },
      });
      ctx.afterCommit(() => invalidateReports(ctx.services.cache, tenant.id));
      return { status: 204 };
    },
  }),
];
