import { IdParams, Page } from '../../shared/schemas/common.ts';
import { OutboxListQuery, OutboxMessage, OutboxMessageDetail } from '../../shared/schemas/mail.ts';
import { getOutboxMessage, listOutbox } from '../domain/mail/outbox.ts';
import { defineRoute, requireTenant } from '../http/define-route.ts';

export const mailRoutes = [
  defineRoute({
    method: 'get',
    path: '/api/v1/outbox',
    tag: 'Outbox',
    summary: 'List outgoing mail',
    description:
      'Every message the workspace sent or will send (report e-mails, invitations), newest first. Without SMTP_URL messages stay queued here.',
    query: OutboxListQuery,
    responses: { 200: { description: 'Messages, newest first', schema: Page(OutboxMessage) } },
    async handler(ctx, { query }) {
      return { status: 200, body: await listOutbox(ctx.tx, requireTenant(ctx).id, query) };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/outbox/:id',
    tag: 'Outbox',
    summary: 'Read an outgoing message',
    description: 'With its text and HTML bodies, Message-ID and attachments (names and sizes).',
    params: IdParams,
    responses: { 200: { description: 'The message', schema: OutboxMessageDetail } },
    async handler(ctx, { params }) {
      return {
        status: 200,
        body: await getOutboxMessage(ctx.tx, requireTenant(ctx).id, params.id),
      };
    },
  }),
];
