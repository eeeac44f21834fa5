import { ListQuery, Page } from '../../shared/schemas/common.ts';
import {
  BillingSubscription,
  CheckoutBody,
  CheckoutSession,
  Invoice,
  PlanList,
  PortalSession,
  StripeEventIdParams,
  WebhookAck,
  WebhookEvent,
  WebhookEventsQuery,
} from '../../shared/schemas/billing.ts';
import { getBillingSummary, listInvoices } from '../domain/billing/billing-account.ts';
import { enqueueStripeEvents } from '../domain/billing/billing-queue.ts';
import { PLANS } from '../domain/billing/plans.ts';
import { verifyStripeWebhook } from '../domain/billing/receive-stripe-webhook.ts';
import {
  recordStripeCustomer,
  startCheckout,
  startPortal,
  type CheckoutStarted,
} from '../domain/billing/start-checkout.ts';
import { listWebhookEvents, replayWebhookEvent } from '../domain/billing/webhook-events.ts';
import { defineRoute, requireTenant } from '../http/define-route.ts';

export const billingRoutes = [
  defineRoute({
    method: 'get',
    path: '/api/v1/billing/plans',
    tag: 'Billing',
    summary: 'List the plans',
    description:
      'free, starter, pro and agency with their monthly price and limits (null = unlimited).',
    responses: { 200: { description: 'The plan catalog', schema: PlanList } },
    async handler() {
      return { status: 200, body: { data: PLANS } };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/billing/checkout',
    tag: 'Billing',
    summary: 'Start a checkout',
    description:
      'A Stripe Checkout Session in subscription mode for the workspace (its Stripe customer is created on ' +
      'first use). Redirect the browser to `url`; it comes back to APP_URL/billing?checkout=success|canceled. ' +
      'The plan changes when Stripe reports the payment, through the webhook. 409 when a subscription is ' +
      'already running (change plan in the portal).',
    body: CheckoutBody,
    responses: {
      201: { description: 'Checkout session', schema: CheckoutSession },
      409: {
        description: 'A subscription is starting or running: use the portal to change plans',
      },
      502: { description: 'Stripe did not answer' },
      503: { description: 'Billing is not configured' },
    },
    // Stripe is called before the request transaction opens (never inside it).
    async prepare(ctx, { body }) {
      return startCheckout(ctx.services, requireTenant(ctx), body.plan);
    },
    async handler(ctx, { body, prepared }) {
      const tenant = requireTenant(ctx);
      const { session, customerId } = prepared as CheckoutStarted;
      if (await recordStripeCustomer(ctx.tx, tenant.id, customerId)) {
        await ctx.audit({
          action: 'billing.customer_created',
          target: { type: 'stripe_customer', id: customerId },
          changes: { stripeCustomerId: { from: null, to: customerId } },
        });
      }
      await ctx.audit({
        action: 'billing.checkout_started',
        target: { type: 'checkout_session', id: session.id },
        changes: { plan: { from: null, to: body.plan } },
      });
      return { status: 201, body: { id: session.id, url: session.url } };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/billing/portal',
    tag: 'Billing',
    summary: 'Open the billing portal',
    description:
      'A Stripe customer-portal session (change plan, cancel, invoices) that returns to APP_URL/billing.',
    responses: {
      200: { description: 'Portal session', schema: PortalSession },
      409: { description: 'No billing account yet' },
      503: { description: 'Billing is not configured' },
    },
    async prepare(ctx) {
      return startPortal(ctx.services, requireTenant(ctx).id);
    },
    async handler(ctx, { prepared }) {
      const tenant = requireTenant(ctx);
      const portal = prepared as { url: string };
      await ctx.audit({
        action: 'billing.portal_opened',
        target: { type: 'tenant', id: tenant.id },
      });
      return { status: 200, body: portal };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/billing/subscription',
    tag: 'Billing',
    summary: 'Read the subscription',
    description:
      '`plan` is the plan whose limits apply now. A past_due subscription keeps its plan until `graceEndsAt` ' +
      '(BILLING_GRACE_DAYS, default 14); unpaid, canceled, incomplete, incomplete_expired and paused fall back ' +
      "to the free plan's limits (nothing is deleted).",
    responses: { 200: { description: 'Billing state', schema: BillingSubscription } },
    async handler(ctx) {
      return { status: 200, body: await getBillingSummary(ctx.tx, requireTenant(ctx).id) };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/billing/invoices',
    tag: 'Billing',
    summary: 'List invoices',
    query: ListQuery,
    responses: { 200: { description: 'Invoices, newest first', schema: Page(Invoice) } },
    async handler(ctx, { query }) {
      return { status: 200, body: await listInvoices(ctx.tx, requireTenant(ctx).id, query) };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/billing/webhook-events',
    tag: 'Billing',
    summary: 'List Stripe events',
    description:
      'Stripe events processing tied to this workspace, newest first. `status=dead` (the default) lists those ' +
      'that kept failing after every retry; replay them once the cause is fixed.',
    query: WebhookEventsQuery,
    responses: { 200: { description: 'Events', schema: Page(WebhookEvent) } },
    async handler(ctx, { query }) {
      const { status, ...page } = query;
      const body = await listWebhookEvents(ctx.tx, requireTenant(ctx).id, {
        ...page,
        status: status === 'all' ? undefined : status,
      });
      return { status: 200, body };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/billing/webhook-events/:id/replay',
    tag: 'Billing',
    summary: 'Replay a Stripe event',
    description: 'Processes the event again (it re-reads Stripe, so nothing is applied twice).',
    params: StripeEventIdParams,
    responses: { 202: { description: 'Queued', schema: WebhookEvent } },
    async handler(ctx, { params }) {
      const tenant = requireTenant(ctx);
      const { before, event } = await replayWebhookEvent(ctx.tx, tenant.id, params.id);
      await ctx.audit({
        action: 'billing.webhook_event_replayed',
        target: { type: 'stripe_event', id: event.id },
        changes: { status: { from: before, to: 'pending' } },
      });
      ctx.afterCommit(() => enqueueStripeEvents(ctx.services, [event.id], `replay-${Date.now()}`));
      return { status: 202, body: event };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/billing/webhooks/stripe',
    tag: 'Billing',
    summary: 'Receive a Stripe webhook',
    description:
      'Verifies `Stripe-Signature` against the raw body (STRIPE_WEBHOOK_SECRET, 300 s tolerance; bad or stale: ' +
      '400, nothing stored), stores the event in the inbox (unique on its id), enqueues it and only then ' +
      'answers 200. Duplicates and unknown types get 200. Never rate limited.',
    bodyKind: 'raw',
    bodyLimit: 512 * 1024,
    skipRateLimit: true,
    requestContentTypes: {
      'application/json': { description: 'The Stripe event, byte for byte as sent' },
    },
    responses: {
      200: { description: 'Stored', schema: WebhookAck },
      400: { description: 'Bad signature, stale timestamp or not an event' },
    },
    async respond(ctx, { body }) {
      const event = verifyStripeWebhook(
        ctx.services.billing.webhookSecret,
        body,
        ctx.req.headers['stripe-signature'] as string | undefined,
      );
      // Resolves once the event's row has committed (and its job was handed to the queue).
      const received = await ctx.services.stripeInbox.submit(event);
      return {
        status: 200,
        body: { received: true, id: received.id, duplicate: received.duplicate },
      };
    },
  }),
];
