import { IdParams, ListQuery, Page } from '../../shared/schemas/common.ts';
import {
  CreateReportScheduleBody,
  ReportDelivery,
  ReportPreview,
  ReportSchedule,
  UpdateReportScheduleBody,
} from '../../shared/schemas/report-schedules.ts';
import { diffChanges } from '../domain/audit/record-audit-event.ts';
import { currentPeriodKey } from '../domain/report-schedules/occurrences.ts';
import { composeReportMail } from '../domain/report-schedules/report-mail.ts';
import {
  createReportSchedule,
  deleteReportSchedule,
  getReportSchedule,
  listDeliveries,
  listReportSchedules,
  parsePeriod,
  presentSchedule,
  sendScheduleNow,
  timingOf,
  updateReportSchedule,
} from '../domain/report-schedules/schedules.ts';
import { createdChanges, deletedChanges } from '../domain/sites/changes.ts';
import { defineRoute, requireTenant } from '../http/define-route.ts';

const FIELDS = [
  'name',
  'siteIds',
  'recipients',
  'frequency',
  'dayOfWeek',
  'dayOfMonth',
  'hour',
  'period',
  'attachPdf',
] as const;

export const reportScheduleRoutes = [
  defineRoute({
    method: 'post',
    path: '/api/v1/report-schedules',
    tag: 'Report e-mails',
    summary: 'Schedule a report e-mail',
    description:
      "Weekly (dayOfWeek 1 Monday … 7 Sunday) or monthly (dayOfMonth 1–28) at `hour` in the workspace's time zone; the report covers the period preset as of the sending day, compared with the period before it.",
    body: CreateReportScheduleBody,
    responses: { 201: { description: 'Created', schema: ReportSchedule } },
    async handler(ctx, { body }) {
      const tenant = requireTenant(ctx);
      const userId = ctx.principal?.kind === 'session' ? ctx.principal.userId : null;
      const row = await createReportSchedule(ctx.tx, tenant.id, userId, body);
      const schedule = presentSchedule(row, tenant.timezone);
      await ctx.audit({
        action: 'report_schedule.created',
        target: { type: 'report_schedule', id: schedule.id },
        changes: createdChanges(schedule, FIELDS),
      });
      return { status: 201, body: schedule };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/report-schedules',
    tag: 'Report e-mails',
    summary: 'List report schedules',
    query: ListQuery,
    responses: { 200: { description: 'Schedules, oldest first', schema: Page(ReportSchedule) } },
    async handler(ctx, { query }) {
      const tenant = requireTenant(ctx);
      const page = await listReportSchedules(ctx.tx, tenant.id, query);
      return {
        status: 200,
        body: {
          data: page.data.map((r) => presentSchedule(r, tenant.timezone)),
          nextCursor: page.nextCursor,
        },
      };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/report-schedules/:id',
    tag: 'Report e-mails',
    summary: 'Read a report schedule',
    params: IdParams,
    responses: { 200: { description: 'The schedule', schema: ReportSchedule } },
    async handler(ctx, { params }) {
      const tenant = requireTenant(ctx);
      const row = await getReportSchedule(ctx.tx, tenant.id, params.id);
      return { status: 200, body: presentSchedule(row, tenant.timezone) };
    },
  }),
  defineRoute({
    method: 'patch',
    path: '/api/v1/report-schedules/:id',
    tag: 'Report e-mails',
    summary: 'Change a report schedule',
    description:
      'Any field; switching frequency drops the other frequency’s day unless named. Deliveries already made stay.',
    params: IdParams,
    body: UpdateReportScheduleBody,
    responses: { 200: { description: 'The schedule', schema: ReportSchedule } },
    async handler(ctx, { params, body }) {
      const tenant = requireTenant(ctx);
      const { before, after } = await updateReportSchedule(ctx.tx, tenant.id, params.id, body);
      const b = presentSchedule(before, tenant.timezone);
      const a = presentSchedule(after, tenant.timezone);
      const changes = diffChanges(b, a, FIELDS);
      if (Object.keys(changes).length > 0) {
        await ctx.audit({
          action: 'report_schedule.updated',
          target: { type: 'report_schedule', id: a.id },
          changes,
        });
      }
      return { status: 200, body: a };
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/api/v1/report-schedules/:id',
    tag: 'Report e-mails',
    summary: 'Delete a report schedule',
    params: IdParams,
    responses: { 204: { description: 'Deleted' } },
    async handler(ctx, { params }) {
      const tenant = requireTenant(ctx);
      const row = await deleteReportSchedule(ctx.tx, tenant.id, params.id);
      await ctx.audit({
        action: 'report_schedule.deleted',
        target: { type: 'report_schedule', id: row.id },
        changes: deletedChanges(presentSchedule(row, tenant.timezone), ['name', 'recipients']),
      });
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/report-schedules/:id/deliveries',
    tag: 'Report e-mails',
    summary: 'List a schedule’s deliveries',
    description:
      'One per occurrence (periodKey), newest first. pending: claimed, being built, or waiting in the outbox (without SMTP_URL it stays so).',
    params: IdParams,
    query: ListQuery,
    responses: { 200: { description: 'Deliveries', schema: Page(ReportDelivery) } },
    async handler(ctx, { params, query }) {
      const tenant = requireTenant(ctx);
      return { status: 200, body: await listDeliveries(ctx.tx, tenant.id, params.id, query) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/report-schedules/:id/send',
    tag: 'Report e-mails',
    summary: 'Send a scheduled report now',
    description:
      'Delivers the current occurrence (this week or month in the workspace’s time zone) now: 202 with its delivery, which the worker builds and sends. 409 naming the delivery when this occurrence is already delivered or under way; a failed one is tried again.',
    params: IdParams,
    responses: { 202: { description: 'Accepted', schema: ReportDelivery } },
    async handler(ctx, { params }) {
      const tenant = requireTenant(ctx);
      const delivery = await sendScheduleNow(ctx.tx, tenant.id, params.id, tenant.timezone);
      await ctx.audit({
        action: 'report_schedule.sent_now',
        target: { type: 'report_schedule', id: params.id },
        changes: { deliveryId: delivery.id, periodKey: delivery.periodKey },
      });
      return { status: 202, body: delivery };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/report-schedules/:id/preview',
    tag: 'Report e-mails',
    summary: 'Preview a scheduled report e-mail',
    description: 'The e-mail the current occurrence would send, built now; nothing is sent.',
    params: IdParams,
    responses: { 200: { description: 'The e-mail', schema: ReportPreview } },
    async handler(ctx, { params }) {
      const tenant = requireTenant(ctx);
      const row = await getReportSchedule(ctx.tx, tenant.id, params.id);
      const now = new Date();
      const mail = await composeReportMail(
        ctx.tx,
        tenant.id,
        { ...row, period: parsePeriod(row.period) },
        { now, appUrl: ctx.services.config.appUrl },
      );
      return {
        status: 200,
        body: {
          periodKey: currentPeriodKey(timingOf(row), now, tenant.timezone),
          from: mail.range.from,
          to: mail.range.to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
        },
      };
    },
  }),
];
