import { z } from 'zod';
import { IsoDateTime, ListQuery } from './common.ts';

export const PlanId = z.enum(['free', 'starter', 'pro', 'agency']);
export const PaidPlanId = z.enum(['starter', 'pro', 'agency']);

export const SubscriptionStatus = z.enum([
  'none',
  'trialing',
  'active',
  'past_due',
  'unpaid',
  'canceled',
  'incomplete',
  'incomplete_expired',
  'paused',
]);
export type SubscriptionStatus = z.infer<typeof SubscriptionStatus>;

export const Plan = z
  .object({
    id: PlanId,
    name: z.string(),
    /** Monthly price in minor units. */
    price: z.number().int(),
    currency: z.string(),
    limits: z.object({
      sites: z.number().int().nullable(),
      members: z.number().int().nullable(),
      auditRetentionDays: z.number().int().nullable(),
    }),
  })
  .meta({ id: 'Plan' });

export const PlanList = z.object({ data: z.array(Plan) });

export const CheckoutBody = z.object({ plan: PaidPlanId });
export const CheckoutSession = z
  .object({ id: z.string().describe('Stripe Checkout Session id'), url: z.url() })
  .meta({ id: 'CheckoutSession' });
export const PortalSession = z.object({ url: z.url() }).meta({ id: 'PortalSession' });

export const BillingSubscription = z
  .object({
    plan: PlanId.describe('The plan whose limits apply now'),
    status: SubscriptionStatus,
    currentPeriodEnd: IsoDateTime.nullable(),
    cancelAtPeriodEnd: z.boolean(),
    subscribedPlan: PlanId.nullable().describe('The plan of the Stripe subscription, if any'),
    subscriptionId: z.string().nullable(),
    pastDue: z.boolean().describe('A payment failed: show a warning until graceEndsAt'),
    graceEndsAt: IsoDateTime.nullable().describe(
      'When a past_due subscription falls back to the free plan',
    ),
  })
  .meta({ id: 'BillingSubscription' });

export const Invoice = z
  .object({
    id: z.string().describe('Stripe invoice id'),
    number: z.string().nullable(),
    status: z.string(),
    amountDue: z.number().int(),
    amountPaid: z.number().int(),
    currency: z.string(),
    hostedInvoiceUrl: z.string().nullable(),
    subscriptionId: z.string().nullable(),
    periodStart: IsoDateTime.nullable(),
    periodEnd: IsoDateTime.nullable(),
    createdAt: IsoDateTime,
  })
  .meta({ id: 'Invoice' });

export const WebhookEventStatus = z.enum(['pending', 'processed', 'ignored', 'dead']);
export const WebhookEvent = z
  .object({
    id: z.string().describe('Stripe event id'),
    type: z.string(),
    status: WebhookEventStatus,
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    source: z.enum(['webhook', 'reconcile']),
    createdAt: IsoDateTime,
    receivedAt: IsoDateTime,
    processedAt: IsoDateTime.nullable(),
  })
  .meta({ id: 'StripeWebhookEvent' });

export const WebhookEventsQuery = ListQuery.extend({
  status: z.union([WebhookEventStatus, z.literal('all')]).default('dead'),
});

export const StripeEventIdParams = z.object({ id: z.string().regex(/^evt_[A-Za-z0-9_]{1,255}$/) });

export const WebhookAck = z.object({
  received: z.literal(true),
  id: z.string(),
  duplicate: z.boolean().optional(),
});
