import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { presentAuditEvent, type AuditFilter, type StoredAuditEvent } from './audit-event.ts';
import type { AuditStore } from './audit-store.ts';

export type AuditExportFormat = 'csv' | 'ndjson';

/** Events read per query, and characters per socket write: together they bound the memory used. */
const EXPORT_BATCH_SIZE = 1000;
const CHUNK_CHARS = 64 * 1024;

/** CSV columns, in order. `prevHash` and `hash` let an auditor re-check the chain offline. */
export const AUDIT_CSV_COLUMNS = [
  'seq',
  'id',
  'occurredAt',
  'actorType',
  'actorId',
  'actorLabel',
  'action',
  'targetType',
  'targetId',
  'changes',
  'ip',
  'userAgent',
  'requestId',
  'prevHash',
  'hash',
] as const;

/**
 * One CSV field (RFC 4180). A text that a spreadsheet would run as a formula (= + - @ tab CR at
 * the start) gets a leading apostrophe: labels and user agents come from users. The NDJSON export
 * is the exact form.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text =
    typeof value === 'string'
      ? value
      : typeof value === 'number'
        ? String(value)
        : JSON.stringify(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvLine(event: StoredAuditEvent): string {
  const values: unknown[] = [
    event.seq,
    event.id,
    event.occurredAt.toISOString(),
    event.actor.type,
    event.actor.id,
    event.actor.label,
    event.action,
    event.target.type,
    event.target.id,
    event.changes === null || event.changes === undefined ? null : JSON.stringify(event.changes),
    event.ip,
    event.userAgent,
    event.requestId,
    event.prevHash,
    event.hash,
  ];
  return `${values.map(csvField).join(',')}\r\n`;
}

function ndjsonLine(event: StoredAuditEvent): string {
  return `${JSON.stringify({ ...presentAuditEvent(event), prevHash: event.prevHash, hash: event.hash })}\n`;
}

/**
 * Runs one read against the audit store in a short transaction of its own and returns what it
 * read: the export never holds a transaction while it waits for the client.
 */
export type AuditReader = <T>(read: (store: AuditStore) => Promise<T>) => Promise<T>;

/** The first batch a scan yields, closing the scan (and whatever it holds) right after. */
async function firstBatch(scan: AsyncIterable<StoredAuditEvent[]>): Promise<StoredAuditEvent[]> {
  for await (const batch of scan) return batch;
  return [];
}

/**
 * Streams a tenant's events (oldest first, so the file reads as the chain does) to `out`. The
 * export covers the chain up to its head when it starts (events appended meanwhile are left out
 * whole, never half), read in batches keyed by seq, each in its own short transaction through
 * `read`; between batches it writes to the client and waits for the socket to drain outside any
 * transaction, so a client that stops reading holds no database connection. Stops early when
 * `isAborted()` turns true (the client went away). Returns the number of events written.
 */
export async function exportAuditEvents(
  read: AuditReader,
  tenantId: string,
  options: {
    format: AuditExportFormat;
    filter: AuditFilter;
    out: Writable;
    isAborted?: () => boolean;
    /** Told the number of events sent so far after each write (a failure half way still knows). */
    onWritten?: (events: number) => void;
    batchSize?: number;
  },
): Promise<number> {
  const { out, format } = options;
  const batchSize = options.batchSize ?? EXPORT_BATCH_SIZE;
  const write = async (chunk: string) => {
    if (out.destroyed || out.write(chunk) || out.destroyed) return;
    // Wait for the socket to drain or go away; the listener that loses the race is removed.
    const settled = new AbortController();
    await Promise.race([
      once(out, 'drain', { signal: settled.signal }),
      once(out, 'close', { signal: settled.signal }),
    ]).finally(() => settled.abort());
  };
  const stopped = () => Boolean(options.isAborted?.()) || out.destroyed;
  if (format === 'csv') await write(`${AUDIT_CSV_COLUMNS.join(',')}\r\n`);
  const line = format === 'csv' ? csvLine : ndjsonLine;
  const throughSeq = (await read((store) => store.readChainHead(tenantId)))?.seq ?? 0;
  let afterSeq = 0;
  let written = 0;
  while (afterSeq < throughSeq && !stopped()) {
    const batch = await read((store) =>
      firstBatch(
        store.scanEvents(tenantId, { filter: options.filter, afterSeq, throughSeq, batchSize }),
      ),
    );
    let pending = '';
    for (const event of batch) {
      pending += line(event);
      written += 1;
      if (pending.length >= CHUNK_CHARS) {
        await write(pending);
        pending = '';
        options.onWritten?.(written);
        if (stopped()) return written;
      }
    }
    if (pending) await write(pending);
    options.onWritten?.(written);
    if (batch.length < batchSize) break;
    afterSeq = batch[batch.length - 1]!.seq;
  }
  return written;
}
