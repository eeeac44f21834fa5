import { sql } from 'kysely';
import type { Database, Tx } from '../../data/database.ts';
import { inTransaction } from '../../data/scoped-transaction.ts';
import { isPermanentMailError, type Mailer } from '../../infra/mailer.ts';
import type { Logger } from '../../logger.ts';
import { readAttachments } from './outbox.ts';

/** Tries of a message before it is marked failed (a 5xx answer fails it at once). */
export const MAX_MAIL_ATTEMPTS = 8;

export interface OutboxSenderDeps {
  database: Database;
  mailer: Mailer;
  logger: Logger;
  fromAddress: string;
  /** How long a claimed message is this worker's before another may send it again. */
  leaseMs: number;
}

/** Seconds to wait before the next try: 30 s doubling, at most an hour. */
const backoffMs = (attempts: number) =>
  Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);

type Table = 'outbox_messages' | 'system_outbox_messages';
interface Ref {
  table: Table;
  tenantId: string | null;
  id: string;
}

/** Due messages of every workspace and of the system outbox (reading across tenants only). */
async function dueMessages(database: Database, limit: number): Promise<Ref[]> {
  const tenantRows = await inTransaction(database, { workerScope: 'outbox' }, (tx) =>
    tx
      .selectFrom('outbox_messages')
      .select(['tenant_id', 'id'])
      .where('status', '=', 'queued')
      .where('next_attempt_at', '<=', sql<Date>`now()`)
      .where((eb) =>
        eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', sql<Date>`now()`)]),
      )
      .orderBy('next_attempt_at')
      .limit(limit)
      .execute(),
  );
  const systemRows = await inTransaction(database, {}, (tx) =>
    tx
      .selectFrom('system_outbox_messages')
      .select('id')
      .where('status', '=', 'queued')
      .where('next_attempt_at', '<=', sql<Date>`now()`)
      .where((eb) =>
        eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', sql<Date>`now()`)]),
      )
      .orderBy('next_attempt_at')
      .limit(limit)
      .execute(),
  );
  return [
    ...tenantRows.map((r) => ({
      table: 'outbox_messages' as const,
      tenantId: r.tenant_id,
      id: r.id,
    })),
    ...systemRows.map((r) => ({
      table: 'system_outbox_messages' as const,
      tenantId: null,
      id: r.id,
    })),
  ];
}

/**
 * Takes the lease on one message: only one worker holds it at a time (the UPDATE's condition is
 * re-checked under the row lock), and a lease left by a killed worker expires.
 */
async function claim(tx: Tx, ref: Ref, leaseMs: number) {
  const lease = sql<Date>`now() + ${leaseMs} * interval '1 millisecond'`;
  const cols = [
    'id',
    'to_addresses',
    'from_name',
    'subject',
    'text_body',
    'html_body',
    'message_id',
    'attempts',
    sql<string>`attachments::text`.as('attachments'),
  ] as const;
  const due = sql<boolean>`status = 'queued' AND next_attempt_at <= now() AND (locked_until IS NULL OR locked_until < now())`;
  if (ref.table === 'outbox_messages') {
    const row = await tx
      .updateTable('outbox_messages')
      .set({ locked_until: lease, attempts: sql`attempts + 1` })
      .where('tenant_id', '=', ref.tenantId!)
      .where('id', '=', ref.id)
      .where(due)
      .returning([...cols, 'delivery_id'])
      .executeTakeFirst();
    return row ?? null;
  }
  const row = await tx
    .updateTable('system_outbox_messages')
    .set({ locked_until: lease, attempts: sql`attempts + 1` })
    .where('id', '=', ref.id)
    .where(due)
    .returning(cols)
    .executeTakeFirst();
  return row ? { ...row, delivery_id: null } : null;
}

/** Records the outcome of a send, and of the report delivery the message carries. */
async function record(
  tx: Tx,
  ref: Ref,
  deliveryId: string | null,
  outcome: { sent: true } | { sent: false; error: string; final: boolean; retryInMs: number },
) {
  const set = outcome.sent
    ? { status: 'sent' as const, sent_at: sql<Date>`now()`, locked_until: null, error: null }
    : outcome.final
      ? { status: 'failed' as const, locked_until: null, error: outcome.error }
      : {
          locked_until: null,
          error: outcome.error,
          next_attempt_at: sql<Date>`now() + ${outcome.retryInMs} * interval '1 millisecond'`,
        };
  if (ref.table === 'outbox_messages') {
    await tx
      .updateTable('outbox_messages')
      .set(set)
      .where('tenant_id', '=', ref.tenantId!)
      .where('id', '=', ref.id)
      .where('status', '=', 'queued')
      .execute();
    if (deliveryId && (outcome.sent || outcome.final)) {
      await tx
        .updateTable('report_deliveries')
        .set(
          outcome.sent
            ? { status: 'sent', sent_at: sql<Date>`now()`, error: null }
            : { status: 'failed', error: outcome.error },
        )
        .where('tenant_id', '=', ref.tenantId!)
        .where('id', '=', deliveryId)
        .where('status', '=', 'pending')
        .execute();
    }
  } else {
    await tx
      .updateTable('system_outbox_messages')
      .set(set)
      .where('id', '=', ref.id)
      .where('status', '=', 'queued')
      .execute();
  }
}

/**
 * Sends the due queued messages: each is claimed in a short transaction, sent with none open, and
 * its outcome recorded in another. A temporary failure retries with backoff; a 5xx answer or the
 * last try marks it failed. Returns how many were sent.
 */
export async function sendDueMail(deps: OutboxSenderDeps, limit = 20): Promise<number> {
  let sent = 0;
  for (const ref of await dueMessages(deps.database, limit)) {
    const scope = ref.tenantId ? { tenantId: ref.tenantId } : {};
    const message = await inTransaction(deps.database, scope, (tx) => claim(tx, ref, deps.leaseMs));
    if (!message) continue; // another worker has it
    try {
      await deps.mailer.send({
        from: { name: message.from_name, address: deps.fromAddress },
        to: message.to_addresses,
        subject: message.subject,
        text: message.text_body,
        html: message.html_body,
        messageId: message.message_id,
        attachments: readAttachments(message.attachments),
      });
      await inTransaction(deps.database, scope, (tx) =>
        record(tx, ref, message.delivery_id, { sent: true }),
      );
      sent += 1;
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      const final = isPermanentMailError(err) || message.attempts >= MAX_MAIL_ATTEMPTS;
      deps.logger.warn({ err, messageId: message.message_id, final }, 'mail not sent');
      await inTransaction(deps.database, scope, (tx) =>
        record(tx, ref, message.delivery_id, {
          sent: false,
          error: error.slice(0, 1000),
          final,
          retryInMs: backoffMs(message.attempts),
        }),
      );
    }
  }
  return sent;
}
