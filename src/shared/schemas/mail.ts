import { z } from 'zod';
import { IsoDateTime, ListQuery, Uuid } from './common.ts';

/** The outbox (contract: Client reporting, Outbox). */

export const OutboxStatus = z.enum(['queued', 'sent', 'failed']);

export const OutboxListQuery = ListQuery.extend({
  status: OutboxStatus.optional().describe('Only messages with this status'),
});

export const OutboxMessage = z
  .object({
    id: Uuid,
    kind: z.enum(['report', 'invitation', 'password_reset']),
    to: z.array(z.string()),
    subject: z.string(),
    status: OutboxStatus.describe(
      'queued: waiting for the worker (always, without SMTP_URL); sent: the mail server accepted it; failed: refused, or given up after retries',
    ),
    createdAt: IsoDateTime,
    sentAt: IsoDateTime.nullable(),
    error: z.string().nullable(),
  })
  .meta({ id: 'OutboxMessage' });
export type OutboxMessage = z.infer<typeof OutboxMessage>;

export const OutboxMessageDetail = OutboxMessage.extend({
  fromName: z.string(),
  messageId: z.string(),
  attempts: z.number().int(),
  text: z.string(),
  html: z.string(),
  attachments: z.array(
    z.object({ filename: z.string(), contentType: z.string(), size: z.number().int() }),
  ),
}).meta({ id: 'OutboxMessageDetail' });
export type OutboxMessageDetail = z.infer<typeof OutboxMessageDetail>;
