import { sql } from 'kysely';
import type { Tx } from '../../data/database.ts';
import { notFound } from '../../errors.ts';
import { afterCursor, paginate } from '../../lib/cursor.ts';
import { newId } from '../../lib/ids.ts';
import type { OutboxMessage, OutboxMessageDetail } from '../../../shared/schemas/mail.ts';

/** Where mail comes from: MAIL_FROM's address and its display name (used without branding). */
export interface MailSettings {
  fromAddress: string;
  defaultFromName: string;
}

export interface MailAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

/** A message to record in a workspace's outbox. */
export interface NewMail {
  kind: 'report' | 'invitation';
  to: string[];
  /** The From display name: the workspace's branding (see brandName). */
  fromName: string;
  subject: string;
  text: string;
  html: string;
  attachments?: MailAttachment[];
  /** `<…@domain>`; default one derived from the new row's id. */
  messageId?: string;
  /** The scheduled report delivery this message carries. */
  deliveryId?: string;
}

/** The domain of an address, for Message-IDs. */
export const mailDomain = (address: string) => address.slice(address.lastIndexOf('@') + 1);

/** The name a workspace's mail and reports carry: its branding's display name, else its name. */
export function brandName(tenant: { name: string; branding: Record<string, unknown> }): string {
  const display = tenant.branding.displayName;
  return typeof display === 'string' && display.trim() ? display.trim() : tenant.name;
}

/**
 * The From display name of a workspace's mail: its branding's display name, else MAIL_FROM's
 * display name (default "ROI Spectrum").
 */
export function fromNameFor(
  tenant: { branding: Record<string, unknown> },
  settings: MailSettings,
): string {
  const display = tenant.branding.displayName;
  return typeof display === 'string' && display.trim() ? display.trim() : settings.defaultFromName;
}

/** Attachments as stored (base64 in JSON), so a retry sends the same bytes. */
export const storedAttachments = (list: MailAttachment[] = []) =>
  JSON.stringify(
    list.map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      contentBase64: a.content.toString('base64'),
    })),
  );

/** Stored attachments back as buffers. */
export function readAttachments(value: unknown): MailAttachment[] {
  const list = (typeof value === 'string' ? JSON.parse(value) : value) as {
    filename: string;
    contentType: string;
    contentBase64: string;
  }[];
  return (list ?? []).map((a) => ({
    filename: a.filename,
    contentType: a.contentType,
    content: Buffer.from(a.contentBase64, 'base64'),
  }));
}

/**
 * Records a message in the workspace's outbox, in the caller's transaction: it exists exactly
 * when the change that causes it commits. The worker sends it (docs/mail.md).
 */
export async function enqueueMail(
  tx: Tx,
  tenantId: string,
  mail: NewMail,
  settings: MailSettings,
): Promise<{ id: string; messageId: string }> {
  const id = newId();
  const messageId = mail.messageId ?? `<${id}@${mailDomain(settings.fromAddress)}>`;
  await tx
    .insertInto('outbox_messages')
    .values({
      tenant_id: tenantId,
      id,
      kind: mail.kind,
      to_addresses: mail.to,
      from_name: mail.fromName,
      subject: mail.subject,
      text_body: mail.text,
      html_body: mail.html,
      attachments: storedAttachments(mail.attachments),
      message_id: messageId,
      delivery_id: mail.deliveryId ?? null,
      next_attempt_at: new Date(),
      created_at: new Date(),
    })
    .execute();
  return { id, messageId };
}

type Row = {
  id: string;
  kind: 'report' | 'invitation' | 'password_reset';
  to_addresses: string[];
  subject: string;
  status: 'queued' | 'sent' | 'failed';
  created_at: Date;
  sent_at: Date | null;
  error: string | null;
};

const LIST_COLUMNS = [
  'id',
  'kind',
  'to_addresses',
  'subject',
  'status',
  'created_at',
  'sent_at',
  'error',
] as const;

const present = (r: Row): OutboxMessage => ({
  id: r.id,
  kind: r.kind,
  to: r.to_addresses,
  subject: r.subject,
  status: r.status,
  createdAt: r.created_at.toISOString(),
  sentAt: r.sent_at?.toISOString() ?? null,
  error: r.error,
});

/** The workspace's outbox, newest first, in cursor pages. */
export async function listOutbox(
  tx: Tx,
  tenantId: string,
  page: { limit: number; cursor?: string; status?: 'queued' | 'sent' | 'failed' },
): Promise<{ data: OutboxMessage[]; nextCursor: string | null }> {
  let q = tx
    .selectFrom('outbox_messages')
    .select(LIST_COLUMNS)
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit + 1);
  if (page.status) q = q.where('status', '=', page.status);
  if (page.cursor)
    q = q.where(afterCursor(page.cursor, ['created_at', 'timestamp'], ['id', 'uuid'], 'desc'));
  const rows = await q.execute();
  const result = paginate(rows, page.limit, (r) => [r.created_at.toISOString(), r.id]);
  return { data: result.data.map(present), nextCursor: result.nextCursor };
}

/** One message of the workspace's outbox with its text, HTML and attachments' names. */
export async function getOutboxMessage(
  tx: Tx,
  tenantId: string,
  id: string,
): Promise<OutboxMessageDetail> {
  const row = await tx
    .selectFrom('outbox_messages')
    .select([
      ...LIST_COLUMNS,
      'text_body',
      'html_body',
      'message_id',
      'from_name',
      'attempts',
      sql<string>`attachments::text`.as('attachments'),
    ])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound('Message');
  return {
    ...present(row),
    fromName: row.from_name,
    messageId: row.message_id,
    attempts: row.attempts,
    text: row.text_body,
    html: row.html_body,
    attachments: readAttachments(row.attachments).map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      size: a.content.length,
    })),
  };
}

/** MailSettings from the process configuration (MAIL_FROM). */
export const mailSettingsOf = (config: { mailFrom: { name: string; address: string } }) => ({
  fromAddress: config.mailFrom.address,
  defaultFromName: config.mailFrom.name,
});
