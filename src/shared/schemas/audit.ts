import { z } from 'zod';
import { CalendarDate, dateRange, IsoDateTime, ListQuery, text, Timestamp } from './common.ts';

/** A date `YYYY-MM-DD` (a whole UTC day) or an ISO 8601 date-time. */
const DateOrDateTime = z.union([CalendarDate, Timestamp]);

export const AuditActorType = z.enum(['user', 'api_key', 'system', 'stripe']);

export const AuditEvent = z
  .object({
    id: z.uuid(),
    seq: z.number().int().min(1).describe("Gap-free position in the tenant's hash chain"),
    occurredAt: IsoDateTime,
    actor: z.object({
      type: AuditActorType,
      id: z.string().nullable(),
      label: z.string().nullable(),
    }),
    action: z
      .string()
      .describe('Like site.created; security.* for denied requests and failed sign-ins'),
    target: z.object({ type: z.string().nullable(), id: z.string().nullable() }),
    changes: z
      .unknown()
      .describe('Changed fields as {field: {from, to}}, or detail of the event; never secrets'),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    requestId: z.string().nullable(),
  })
  .meta({ id: 'AuditEvent' });
export type AuditEvent = z.infer<typeof AuditEvent>;

/** The contract's filters, shared by the list and the export. */
export const AuditFilterQuery = z.object({
  action: text()
    .regex(
      /^[a-z0-9_:-]+(\.[a-z0-9_:-]+)*(\.\*)?$/,
      'must be an action like site.created, or a prefix like site.*',
    )
    .max(100)
    .optional()
    .describe('Exact action, or a prefix ending in .* (site.*)'),
  actorId: text().min(1).max(200).optional(),
  targetType: text().min(1).max(100).optional(),
  targetId: text().min(1).max(200).optional(),
  from: DateOrDateTime.optional().describe(
    'Inclusive: a date (from its start, UTC) or a date-time',
  ),
  to: DateOrDateTime.optional().describe('Inclusive: a date (to its end, UTC) or a date-time'),
});

export const AuditLogQuery = ListQuery.extend(AuditFilterQuery.shape).superRefine(
  dateRange('from', 'to'),
);

export const AuditExportQuery = AuditFilterQuery.extend({
  format: z.enum(['csv', 'ndjson']).default('ndjson'),
}).superRefine(dateRange('from', 'to'));

export const AuditLogPage = z
  .object({ data: z.array(AuditEvent), nextCursor: z.string().nullable() })
  .meta({ id: 'AuditLogPage' });

export const AuditVerifyReply = z
  .object({
    valid: z.boolean(),
    checked: z.number().int().min(0).describe('Events verified (before the first invalid one)'),
    firstInvalidSeq: z
      .number()
      .int()
      .nullable()
      .describe('First missing, reordered or altered event'),
  })
  .meta({ id: 'AuditVerifyReply' });
