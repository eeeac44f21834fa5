import Stripe from 'stripe';
import { sql } from 'kysely';
import type { Tx } from '../../data/database.ts';
import { AppError } from '../../http/errors.ts';
import { stripeEventRefs } from './stripe-event-refs.ts';

/** Stripe's default: a signature older than 5 minutes is a replay. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export interface ReceivedEvent {
  id: string;
  type: string;
  /** Worth processing (a billing event); other types are stored as `ignored`. */
  handled: boolean;
  /** Already in the inbox (a redelivery). */
  duplicate: boolean;
}

/**
 * Verifies a webhook delivery against the raw bytes and stores it in the inbox, unique on the
 * Stripe event id (a redelivery inserts nothing). A bad or stale signature is a 400 before
 * anything is written. The caller enqueues processing once this has committed.
 */
export async function receiveStripeWebhook(
  tx: Tx,
  webhookSecret: string,
  rawBody: unknown,
  signature: string | undefined,
): Promise<ReceivedEvent> {
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
  if (
    typeof event?.id !== 'string' ||
    typeof event.type !== 'string' ||
    typeof event.created !== 'number'
  ) {
    throw new AppError('validation', 'The body is not a Stripe event');
  }
  const refs = stripeEventRefs(event);
  const handled = refs.objectKey !== null;
  const inserted = await sql<{ id: string }>`
    INSERT INTO stripe_webhook_events (id, type, stripe_created, livemode, payload, status, object_key, processed_at)
    VALUES (${event.id}, ${event.type}, to_timestamp(${event.created}), ${event.livemode === true},
      ${rawBody.toString('utf8')}::jsonb, ${handled ? 'pending' : 'ignored'}, ${refs.objectKey},
      ${handled ? null : new Date()})
    ON CONFLICT (id) DO NOTHING
    RETURNING id`.execute(tx);
  return { id: event.id, type: event.type, handled, duplicate: inserted.rows.length === 0 };
}
