import { z } from 'zod';
import { Email } from './accounts.ts';
import { IsoDateTime, ListQuery, text, Uuid } from './common.ts';
import { PeriodPreset } from './report-period.ts';

/** Scheduled report e-mails (contract: Client reporting, scheduled report e-mails). */

const Frequency = z.enum(['weekly', 'monthly']);
const DayOfWeek = z.number().int().min(1).max(7).describe('1 Monday … 7 Sunday');
const DayOfMonth = z.number().int().min(1).max(28);
const Hour = z.number().int().min(0).max(23).describe("In the workspace's time zone");

const Fields = {
  name: text().trim().min(1).max(200),
  siteIds: z.array(Uuid).min(1).max(200),
  recipients: z.array(Email).min(1, 'name at least one recipient').max(20, 'at most 20 recipients'),
  frequency: Frequency,
  dayOfWeek: DayOfWeek.nullable().optional(),
  dayOfMonth: DayOfMonth.nullable().optional(),
  hour: Hour,
  period: z.object({ preset: PeriodPreset }).strict(),
  attachPdf: z.boolean(),
};

/** weekly needs dayOfWeek (and no dayOfMonth), monthly the other way round. */
export function checkTiming(
  value: { frequency?: string; dayOfWeek?: number | null; dayOfMonth?: number | null },
  ctx: z.RefinementCtx,
) {
  if (value.frequency === 'weekly') {
    if (value.dayOfWeek == null)
      ctx.addIssue({
        code: 'custom',
        path: ['dayOfWeek'],
        message: 'a weekly schedule needs dayOfWeek',
      });
    if (value.dayOfMonth != null)
      ctx.addIssue({
        code: 'custom',
        path: ['dayOfMonth'],
        message: 'only for a monthly schedule',
      });
  } else if (value.frequency === 'monthly') {
    if (value.dayOfMonth == null)
      ctx.addIssue({
        code: 'custom',
        path: ['dayOfMonth'],
        message: 'a monthly schedule needs dayOfMonth',
      });
    if (value.dayOfWeek != null)
      ctx.addIssue({ code: 'custom', path: ['dayOfWeek'], message: 'only for a weekly schedule' });
  }
}

export const CreateReportScheduleBody = z
  .object({ ...Fields, attachPdf: Fields.attachPdf.default(false) })
  .strict()
  .superRefine(checkTiming);
export type CreateReportScheduleBody = z.infer<typeof CreateReportScheduleBody>;

export const UpdateReportScheduleBody = z
  .object(Fields)
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'name at least one field');
export type UpdateReportScheduleBody = z.infer<typeof UpdateReportScheduleBody>;

export const ReportSchedule = z
  .object({
    id: Uuid,
    name: z.string(),
    siteIds: z.array(Uuid),
    recipients: z.array(z.string()),
    frequency: Frequency,
    dayOfWeek: z.number().int().nullable(),
    dayOfMonth: z.number().int().nullable(),
    hour: z.number().int(),
    period: z.object({ preset: PeriodPreset }),
    attachPdf: z.boolean(),
    nextRunAt: IsoDateTime.describe('When the next occurrence is due'),
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
  })
  .meta({ id: 'ReportSchedule' });
export type ReportSchedule = z.infer<typeof ReportSchedule>;

export const ReportDelivery = z
  .object({
    id: Uuid,
    scheduleId: Uuid,
    periodKey: z
      .string()
      .describe('2026-W49 (weekly) or 2026-12 (monthly), in the workspace’s time zone'),
    status: z
      .enum(['pending', 'sent', 'failed'])
      .describe(
        'pending: claimed, being built or waiting in the outbox (always, without SMTP_URL)',
      ),
    trigger: z.enum(['schedule', 'manual']),
    recipients: z.array(z.string()),
    outboxMessageId: Uuid.nullable().describe('The outbox message that carries it, once built'),
    createdAt: IsoDateTime,
    sentAt: IsoDateTime.nullable(),
    error: z.string().nullable(),
  })
  .meta({ id: 'ReportDelivery' });
export type ReportDelivery = z.infer<typeof ReportDelivery>;

export const DeliveriesQuery = ListQuery;

export const ReportPreview = z
  .object({
    periodKey: z.string(),
    from: z.string(),
    to: z.string(),
    subject: z.string(),
    text: z.string(),
    html: z.string(),
  })
  .meta({ id: 'ReportPreview' });
