import { sql } from 'kysely';
import Stripe from 'stripe';
import { arrayLiteral } from '../../data/array-literal.ts';
import type { Tx } from '../../data/database.ts';
import { inTransaction } from '../../data/scoped-transaction.ts';
import { AppError } from '../../errors.ts';
import { microBatcher, type MicroBatcher } from '../../lib/micro-batch.ts';
import type { BillingDeps } from './billing-deps.ts';
import { enqueueStripeEvents } from './billing-queue.ts';
import { stripeEventRefs } from './stripe-event-refs.ts';

/** Stripe's default: a signature older than 5 minutes is a replay. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** A delivery whose signature verified: what the inbox stores. */
export interface InboxEvent {
  id: string;
  type: string;
  /** Seconds since the epoch, as Stripe sends it. */
  created: number;
  livemode: boolean;
  /** The event as JSON text (the raw body for a delivery). */
  payload: string;
  /** `sub:<id>` or `in:<id>`; null for types we store and ignore. */
  objectKey: string | null;
  source: 'webhook' | 'reconcile';
}

export interface ReceivedEvent {
  id: string;
  type: string;
  /** Worth processing (a billing event); other types are stored as `ignored`. */
  handled: boolean;
  /** Already in the inbox (a redelivery). */
  duplicate: boolean;
}

/**
 * Verifies a webhook delivery against the raw bytes. A missing or wrong signature, one dated more
 * than SIGNATURE_TOLERANCE_SECONDS before or after now, or a body that is not an event, is a 400
 * and nothing is stored.
 */
export function verifyStripeWebhook(
  webhookSecret: string | null,
  rawBody: unknown,
  signature: string | undefined,
): InboxEvent {
  if (!webhookSecret) {
    throw new AppError(
      'unavailable',
      'Billing is not configured: set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET, or SANDBOXES=on',
    );
  }
  if (!Buffer.isBuffer(rawBody) || rawBody.length === 0) {
    throw new AppError('validation', 'The body must be the Stripe event, as sent');
  }
  if (!signature) {
    throw new AppError('validation', 'The Stripe-Signature header is missing', {
      errors: [{ path: 'Stripe-Signature', message: 'is required' }],
    });
  }
  let event: Stripe.Event;
  try {
    event = Stripe.webhooks.constructEvent(
      rawBody,
      signature,
      webhookSecret,
      SIGNATURE_TOLERANCE_SECONDS,
    );
  } catch (error) {
    throw new AppError(
      'validation',
      'The Stripe-Signature header does not verify (wrong secret, changed body or too old)',
      {
        errors: [
          {
            path: 'Stripe-Signature',
            message: error instanceof Error ? error.message.split('\n')[0]! : 'invalid',
          },
        ],
      },
    );
  }
  // Stripe's check only refuses old signatures: one dated ahead of our clock by more than the
  // tolerance is refused too (a captured delivery must not stay replayable for longer).
  const signedAt = signatureTimestamp(signature);
  if (signedAt === null || signedAt - Date.now() / 1000 > SIGNATURE_TOLERANCE_SECONDS) {
    throw new AppError(
      'validation',
      'The Stripe-Signature header is dated outside 300 seconds of now',
      {
        errors: [{ path: 'Stripe-Signature', message: 'timestamp is in the future' }],
      },
    );
  }
  if (
    typeof event?.id !== 'string' ||
    typeof event.type !== 'string' ||
    typeof event.created !== 'number'
  ) {
    throw new AppError('validation', 'The body is not a Stripe event');
  }
  return {
    id: event.id,
    type: event.type,
    created: event.created,
    livemode: event.livemode === true,
    payload: rawBody.toString('utf8'),
    objectKey: stripeEventRefs(event).objectKey,
    source: 'webhook',
  };
}

/** The `t=` timestamp (seconds) of a Stripe-Signature header, or null without a valid one. */
function signatureTimestamp(header: string): number | null {
  const t = header
    .split(',')
    .map((part) => part.trim())
    .find((part) => part.startsWith('t='))
    ?.slice(2);
  return t && /^\d{1,12}$/.test(t) ? Number(t) : null;
}

/**
 * Inserts events into the inbox in one statement, unique on the Stripe event id: a redelivery
 * inserts nothing. Events we do not handle are stored as `ignored`. Returns the ids inserted.
 * Columns are bound as arrays, so the statement's text is the same for any number of events and
 * PostgreSQL keeps one plan for it.
 */
export async function insertInboxEvents(tx: Tx, events: InboxEvent[]): Promise<Set<string>> {
  if (events.length === 0) return new Set();
  // In id order: two batches holding the same new ids in different orders would each wait for
  // the other's uncommitted row.
  const sorted = [...events].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const column = (pick: (e: InboxEvent) => string | number | null) =>
    arrayLiteral(sorted.map(pick));
  const { rows } = await sql<{ id: string }>`
    INSERT INTO stripe_webhook_events
      (id, type, stripe_created, livemode, payload, source, status, object_key, processed_at)
    SELECT id, type, to_timestamp(created), livemode, payload::jsonb, source,
           CASE WHEN object_key IS NULL THEN 'ignored' ELSE 'pending' END, object_key,
           CASE WHEN object_key IS NULL THEN now() END
    FROM unnest(${column((e) => e.id)}::text::text[], ${column((e) => e.type)}::text::text[],
                ${column((e) => e.created)}::text::bigint[],
                ${column((e) => (e.livemode ? 't' : 'f'))}::text::boolean[],
                ${column((e) => e.payload)}::text::text[], ${column((e) => e.source)}::text::text[],
                ${column((e) => e.objectKey)}::text::text[])
      AS e(id, type, created, livemode, payload, source, object_key)
    ON CONFLICT (id) DO NOTHING
    RETURNING id`.execute(tx);
  return new Set(rows.map((r) => r.id));
}

/** Most deliveries stored by one statement, and their most bytes. */
const INBOX_BATCH_ROWS = 500;
const INBOX_BATCH_BYTES = 8 * 1024 * 1024;

export type StripeInbox = MicroBatcher<InboxEvent, ReceivedEvent>;

/**
 * The webhook inbox's write side. Deliveries that arrive while a write is in flight are stored
 * together: one INSERT (one commit), then one job for all of them, then each is answered. No
 * delivery is acknowledged before its row has committed; an enqueue that fails after the commit
 * is logged and left to the sweeper, which finds every pending row again.
 */
export function createStripeInbox(
  services: Pick<BillingDeps, 'database' | 'queue' | 'config' | 'logger'>,
): StripeInbox {
  return microBatcher<InboxEvent, ReceivedEvent>(
    async (events) => {
      // The same event twice in one batch (concurrent redeliveries): the first one stores it.
      const first = new Map<string, InboxEvent>();
      for (const e of events) if (!first.has(e.id)) first.set(e.id, e);
      const unique = [...first.values()];
      let inserted: Set<string>;
      const failed = new Map<string, unknown>();
      try {
        inserted = await inTransaction(services.database, {}, (tx) =>
          insertInboxEvents(tx, unique),
        );
      } catch (error) {
        if (unique.length === 1) throw error;
        // One event the database refuses must not fail the deliveries it was batched with:
        // store them one by one, and only the refused one is answered with an error.
        inserted = new Set();
        for (const e of unique) {
          try {
            const one = await inTransaction(services.database, {}, (tx) =>
              insertInboxEvents(tx, [e]),
            );
            if (one.has(e.id)) inserted.add(e.id);
          } catch (err) {
            failed.set(e.id, err);
          }
        }
      }
      const toProcess = unique.filter((e) => e.objectKey && inserted.has(e.id)).map((e) => e.id);
      await enqueueStripeEvents(services, toProcess).catch((err: unknown) => {
        services.logger.warn(
          { err, count: toProcess.length },
          'enqueue after storing stripe events failed; the sweeper will pick them up',
        );
      });
      return events.map((e) =>
        failed.has(e.id)
          ? { ok: false as const, error: failed.get(e.id) }
          : {
              ok: true as const,
              value: {
                id: e.id,
                type: e.type,
                handled: e.objectKey !== null,
                duplicate: !inserted.has(e.id) || first.get(e.id) !== e,
              },
            },
      );
    },
    {
      maxInFlight: 2,
      maxItems: INBOX_BATCH_ROWS,
      maxWeight: INBOX_BATCH_BYTES,
      weigh: (e) => e.payload.length,
    },
  );
}
