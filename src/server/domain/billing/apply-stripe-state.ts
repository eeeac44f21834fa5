import type Stripe from 'stripe';
import { sql } from 'kysely';
import type { Tx } from '../../data/database.ts';
import { inTransaction, setScope } from '../../data/scoped-transaction.ts';
import type { AppServices } from '../../services.ts';
import { recordAuditEvent, type Actor, type RequestMeta } from '../audit/record-audit-event.ts';
import type { ItemResult } from '../../lib/micro-batch.ts';
import { grantedPlan, planForPrice } from './plans.ts';
import { stripeEventRefs } from './stripe-event-refs.ts';

const NO_META: RequestMeta = { ip: null, userAgent: null, requestId: null };

/** A failure worth retrying (Stripe unreachable, tenant not found yet); the job retries it. */
export class BillingSyncError extends Error {}

export type ProcessOutcome = 'processed' | 'coalesced' | 'ignored' | 'not_pending';

/**
 * How long a worker that took rows keeps them from the sweeper: longer than an apply takes
 * (Stripe SDK retries included), short enough that rows a killed worker held are swept soon.
 */
const PICK_LEASE_S = 10;

/**
 * Processes inbox rows, many at a time. An event is a prompt, not the truth: the subscription (and
 * any invoice) it names is re-read from Stripe, and the stored state is set to what Stripe says
 * now, so order and duplicates do not matter. Rows about the same object are settled by one read,
 * in the transaction that applies it. Returns one result per id, in order: an object that could
 * not be applied fails only the events about it.
 */
export async function processStripeEvents(
  services: AppServices,
  eventIds: string[],
): Promise<ItemResult<ProcessOutcome>[]> {
  // One short transaction: the pending rows, taken for PICK_LEASE_S (the sweeper leaves them to
  // this worker meanwhile), and the tenants their Stripe customers belong to. Statements that lock
  // several inbox rows lock them in id order (here, in applyStripeObject and markEventsDead):
  // two of them taking shared rows in different orders deadlocked under load.
  const { rows, tenantOf } = await inTransaction(services.database, {}, async (tx) => {
    const rows = (
      await sql<{ id: string; type: string; status: string; payload: unknown }>`
        UPDATE stripe_webhook_events
        SET retry_at = now() + make_interval(secs => ${PICK_LEASE_S})
        WHERE id IN (SELECT id FROM stripe_webhook_events
                     WHERE id = ANY(${eventIds}::text[]) AND status = 'pending'
                     ORDER BY id FOR UPDATE)
        RETURNING id, type, status, payload`.execute(tx)
    ).rows;
    const refs = new Map(rows.map((r) => [r.id, stripeEventRefs(r.payload as { type: string })]));
    const customers = [
      ...new Set([...refs.values()].map((r) => r.customerId).filter((c) => c !== null)),
    ];
    const tenants =
      customers.length > 0
        ? await tx
            .selectFrom('tenants')
            .select(['id', 'stripe_customer_id'])
            .where('stripe_customer_id', 'in', customers)
            .execute()
        : [];
    const byCustomer = new Map(tenants.map((t) => [t.stripe_customer_id, t.id]));
    return {
      rows: new Map(rows.map((r) => [r.id, { ...r, refs: refs.get(r.id)! }])),
      tenantOf: (customerId: string | null) => (customerId && byCustomer.get(customerId)) || null,
    };
  });

  const results = new Map<string, ItemResult<ProcessOutcome>>();
  const ignored: string[] = [];
  const groups = new Map<string, { tenantId: string; objectKey: string; ids: string[] }>();
  for (const id of new Set(eventIds)) {
    const row = rows.get(id);
    if (!row || row.status !== 'pending') {
      results.set(id, { ok: true, value: 'not_pending' });
      continue;
    }
    const { objectKey, customerId } = row.refs;
    if (!objectKey) {
      ignored.push(id);
      continue;
    }
    const tenantId = tenantOf(customerId);
    if (!tenantId) {
      results.set(id, {
        ok: false,
        error: new BillingSyncError(`No workspace has Stripe customer ${customerId ?? '(none)'}`),
      });
      continue;
    }
    const key = `${tenantId}|${objectKey}`;
    const group = groups.get(key) ?? { tenantId, objectKey, ids: [] };
    group.ids.push(id);
    groups.set(key, group);
  }

  if (ignored.length > 0) {
    await inTransaction(services.database, {}, (tx) =>
      tx
        .updateTable('stripe_webhook_events')
        .set({ status: 'ignored', processed_at: new Date() })
        .where('id', 'in', ignored)
        .where('status', '=', 'pending')
        .execute(),
    );
    for (const id of ignored) results.set(id, { ok: true, value: 'ignored' });
  }

  const queue = [...groups.values()];
  await Promise.all(
    Array.from(
      { length: Math.min(services.config.BILLING_WORKER_CONCURRENCY, queue.length) },
      async () => {
        for (let group = queue.shift(); group; group = queue.shift()) {
          const first = rows.get(group.ids[0]!)!;
          let result: ItemResult<ProcessOutcome>;
          try {
            const value = await applyStripeObject(services, group.tenantId, group.objectKey, {
              actor: { type: 'stripe', id: first.id, label: first.type },
              eventIds: group.ids,
            });
            result = { ok: true, value };
          } catch (error) {
            result = { ok: false, error };
          }
          for (const id of group.ids) results.set(id, result);
        }
      },
    ),
  );
  return eventIds.map((id) => results.get(id)!);
}

export interface ApplyTrigger {
  actor: Actor;
  /** The inbox rows that asked; none for a periodic re-sync. */
  eventIds: string[];
}

/**
 * Re-reads `objectKey` (`sub:<id>` or `in:<id>`) from Stripe and applies it to the tenant, under a
 * lock on the object so two workers never apply reads out of order. Marks every pending inbox row
 * about the object processed in the same transaction as the effects and their audit events.
 */
export async function applyStripeObject(
  services: AppServices,
  tenantId: string,
  objectKey: string,
  trigger: ApplyTrigger,
): Promise<ProcessOutcome> {
  const stripe = services.billing.stripe();
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    const outcome = await applyOnce();
    if (outcome !== 'busy') {
      return outcome;
    }
    if (Date.now() - started > BUSY_WAIT_MS)
      throw new BillingSyncError(`${objectKey} stayed locked by another worker`);
    // Another worker is applying this object: wait without holding a connection, then look again
    // (usually our row was in its batch and is processed by then).
    await new Promise((r) => setTimeout(r, Math.min(10 * 2 ** attempt, 250) + Math.random() * 10));
  }

  function applyOnce() {
    return inTransaction(services.database, {}, async (tx): Promise<ProcessOutcome | 'busy'> => {
      // Reads and applies of one object are serialized: a slow read can never overwrite a newer one.
      // The lock and the tenant come in one round trip.
      const locked = await sql<{
        ok: boolean;
        subdomain: string | null;
        stripe_customer_id: string | null;
      }>`SELECT pg_try_advisory_xact_lock(hashtext(${`stripe:${objectKey}`})) AS ok,
                t.subdomain, t.stripe_customer_id
         FROM (SELECT 1) one LEFT JOIN tenants t ON t.id = ${tenantId}`.execute(tx);
      const lock = locked.rows[0]!;
      if (!lock.ok) {
        if (trigger.eventIds.length === 0) return 'busy';
        const mine = await tx
          .selectFrom('stripe_webhook_events')
          .select('id')
          .where('id', 'in', trigger.eventIds)
          .where('status', '=', 'pending')
          .execute();
        return mine.length > 0 ? 'busy' : 'coalesced';
      }
      // Every pending row about the object is settled by this apply: marked processed here, in
      // the transaction of the effects, so a failure below rolls the marks back with them.
      const pending = (
        await sql<{ id: string; type: string; payload: unknown }>`
          UPDATE stripe_webhook_events
          SET status = 'processed', processed_at = now(), resolved_tenant_id = ${tenantId},
              attempts = attempts + 1, last_error = NULL
          WHERE id IN (SELECT id FROM stripe_webhook_events
                       WHERE object_key = ${objectKey} AND status = 'pending'
                       ORDER BY id LIMIT 5000 FOR UPDATE)
          RETURNING id, type, payload`.execute(tx)
      ).rows;
      // Another worker applied our events since we read them (rows that arrived after that are
      // settled here all the same).
      if (trigger.eventIds.length > 0 && pending.length === 0) return 'coalesced' as const;

      if (lock.subdomain === null)
        throw new BillingSyncError(`Workspace ${tenantId} does not exist`);
      const tenant = {
        id: tenantId,
        subdomain: lock.subdomain,
        customerId: lock.stripe_customer_id,
      };

      // Read the truth from Stripe while holding the object's lock.
      const invoiceIds = new Set<string>();
      for (const p of pending) {
        const id = stripeEventRefs(p.payload as { type: string }).invoiceId;
        if (id) invoiceIds.add(id);
      }
      let subscription: Stripe.Subscription | null = null;
      if (objectKey.startsWith('sub:')) {
        subscription = await stripeCall(() => stripe.subscriptions.retrieve(objectKey.slice(4)));
        if (!subscription)
          throw new BillingSyncError(`Stripe has no subscription ${objectKey.slice(4)}`);
      } else {
        invoiceIds.add(objectKey.slice(3));
      }
      const invoices = (
        await Promise.all(
          [...invoiceIds].map((id) => stripeCall(() => stripe.invoices.retrieve(id))),
        )
      ).filter((i): i is Stripe.Response<Stripe.Invoice> => i !== null);

      const customerOf = (v: string | { id: string } | null) =>
        typeof v === 'string' ? v : (v?.id ?? null);
      for (const obj of [subscription, ...invoices]) {
        if (
          obj &&
          customerOf(obj.customer as string | { id: string } | null) !== tenant.customerId
        ) {
          throw new BillingSyncError(
            `${obj.id} belongs to another Stripe customer than workspace ${tenantId}`,
          );
        }
      }

      await setScope(tx, { tenantId });
      let subscriptionChanged = false;
      if (subscription)
        subscriptionChanged = await applySubscription(
          tx,
          services,
          tenantId,
          subscription,
          trigger.actor,
        );
      for (const invoice of invoices) await applyInvoice(tx, tenantId, invoice, trigger.actor);
      // The tenant's plan derives from its subscriptions only (the grace period's end is the
      // periodic job's): nothing to recompute when the subscription read changed nothing.
      if (subscriptionChanged) await recomputeTenantBilling(tx, services, tenantId, trigger.actor);

      return 'processed' as const;
    });
  }
}

/** How long a job waits for another worker that holds the same object before it retries later. */
const BUSY_WAIT_MS = 30_000;

/** Calls Stripe; a missing object is null, anything else that fails is a retryable error. */
async function stripeCall<T>(fn: () => Promise<T>): Promise<T | null> {
  try {
    return await fn();
  } catch (error) {
    const e = error as { code?: string; statusCode?: number; message?: string };
    if (e.code === 'resource_missing' || e.statusCode === 404) return null;
    throw new BillingSyncError(`Stripe call failed: ${e.message ?? String(error)}`, {
      cause: error,
    });
  }
}

const toDate = (seconds: number | null | undefined) => (seconds ? new Date(seconds * 1000) : null);
const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/** Mirrors a subscription as Stripe has it now; audits what changed. */
async function applySubscription(
  tx: Tx,
  services: AppServices,
  tenantId: string,
  sub: Stripe.Subscription,
  actor: Actor,
): Promise<boolean> {
  const item = sub.items?.data?.[0];
  const priceId = item?.price?.id ?? null;
  const plan = planForPrice(services.billing.prices, priceId) ?? 'free';
  const existing = await tx
    .selectFrom('billing_subscriptions')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', sub.id)
    .executeTakeFirst();
  const now = new Date();
  const next = {
    customer_id: typeof sub.customer === 'string' ? sub.customer : sub.customer.id,
    status: sub.status,
    price_id: priceId,
    plan,
    current_period_start: toDate(item?.current_period_start),
    current_period_end: toDate(item?.current_period_end),
    cancel_at_period_end: sub.cancel_at_period_end === true,
    canceled_at: toDate(sub.canceled_at),
    past_due_since:
      sub.status === 'past_due'
        ? existing?.status === 'past_due' && existing.past_due_since
          ? existing.past_due_since
          : now
        : null,
    stripe_created: new Date(sub.created * 1000),
    synced_at: now,
  };
  const view = (s: {
    status: string;
    plan: string;
    current_period_end: Date | null;
    cancel_at_period_end: boolean;
  }) => ({
    status: s.status,
    plan: s.plan,
    currentPeriodEnd: iso(s.current_period_end),
    cancelAtPeriodEnd: s.cancel_at_period_end,
  });
  if (!existing) {
    await tx
      .insertInto('billing_subscriptions')
      .values({ tenant_id: tenantId, id: sub.id, ...next })
      .execute();
    const after = view(next);
    await recordAuditEvent(tx, tenantId, actor, NO_META, {
      action: 'subscription.created',
      target: { type: 'subscription', id: sub.id },
      changes: Object.fromEntries(
        Object.entries(after).map(([k, v]) => [k, { from: null, to: v }]),
      ),
    });
    return true;
  }
  const before = view(existing);
  const after = view(next);
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of Object.keys(after) as (keyof typeof after)[]) {
    if (before[key] !== after[key]) changes[key] = { from: before[key], to: after[key] };
  }
  const quietChange =
    existing.price_id !== next.price_id ||
    iso(existing.canceled_at) !== iso(next.canceled_at) ||
    iso(existing.current_period_start) !== iso(next.current_period_start) ||
    iso(existing.past_due_since) !== iso(next.past_due_since);
  if (Object.keys(changes).length === 0 && !quietChange) return false;
  await tx
    .updateTable('billing_subscriptions')
    .set(next)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', sub.id)
    .execute();
  if (Object.keys(changes).length > 0) {
    await recordAuditEvent(tx, tenantId, actor, NO_META, {
      action: 'subscription.updated',
      target: { type: 'subscription', id: sub.id },
      changes,
    });
  }
  return true;
}

/** Mirrors an invoice once (one row per Stripe invoice), then follows its status. */
async function applyInvoice(
  tx: Tx,
  tenantId: string,
  invoice: Stripe.Invoice,
  actor: Actor,
): Promise<void> {
  const sub = invoice.parent?.subscription_details?.subscription;
  const next = {
    subscription_id: typeof sub === 'string' ? sub : (sub?.id ?? null),
    number: invoice.number ?? null,
    status: invoice.status ?? 'draft',
    amount_due: invoice.amount_due,
    amount_paid: invoice.amount_paid,
    currency: invoice.currency.toUpperCase(),
    hosted_invoice_url: invoice.hosted_invoice_url ?? null,
    period_start: toDate(invoice.period_start),
    period_end: toDate(invoice.period_end),
    stripe_created: new Date(invoice.created * 1000),
    updated_at: new Date(),
  };
  const inserted = await tx
    .insertInto('billing_invoices')
    .values({ tenant_id: tenantId, id: invoice.id!, ...next })
    .onConflict((oc) => oc.columns(['tenant_id', 'id']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) {
    await recordAuditEvent(tx, tenantId, actor, NO_META, {
      action: 'invoice.created',
      target: { type: 'invoice', id: invoice.id! },
      changes: {
        number: { from: null, to: next.number },
        status: { from: null, to: next.status },
        amountDue: { from: null, to: next.amount_due },
        currency: { from: null, to: next.currency },
      },
    });
    return;
  }
  const existing = await tx
    .selectFrom('billing_invoices')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', invoice.id!)
    .executeTakeFirstOrThrow();
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  if (existing.status !== next.status) changes.status = { from: existing.status, to: next.status };
  if (existing.amount_paid !== next.amount_paid)
    changes.amountPaid = { from: existing.amount_paid, to: next.amount_paid };
  if (existing.number !== next.number) changes.number = { from: existing.number, to: next.number };
  if (existing.amount_due !== next.amount_due)
    changes.amountDue = { from: existing.amount_due, to: next.amount_due };
  if (Object.keys(changes).length === 0 && existing.hosted_invoice_url === next.hosted_invoice_url)
    return;
  await tx
    .updateTable('billing_invoices')
    .set(next)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', invoice.id!)
    .execute();
  if (Object.keys(changes).length > 0) {
    await recordAuditEvent(tx, tenantId, actor, NO_META, {
      action: 'invoice.updated',
      target: { type: 'invoice', id: invoice.id! },
      changes,
    });
  }
}

/** Which of a tenant's subscriptions decides its plan: a live one first, then the newest. */
const STATUS_RANK: Record<string, number> = {
  active: 0,
  trialing: 0,
  past_due: 0,
  unpaid: 1,
  paused: 1,
  incomplete: 2,
  canceled: 3,
  incomplete_expired: 3,
};

/**
 * Sets the tenant's effective plan, billing status and grace end from its mirrored subscriptions
 * (see grantedPlan). Audits a change; returns whether the tenant row changed.
 */
export async function recomputeTenantBilling(
  tx: Tx,
  services: AppServices,
  tenantId: string,
  actor: Actor,
  at: Date = new Date(),
): Promise<boolean> {
  const subs = await tx
    .selectFrom('billing_subscriptions')
    .select(['id', 'status', 'plan', 'past_due_since', 'stripe_created'])
    .where('tenant_id', '=', tenantId)
    .execute();
  subs.sort(
    (a, b) =>
      (STATUS_RANK[a.status] ?? 9) - (STATUS_RANK[b.status] ?? 9) ||
      b.stripe_created.getTime() - a.stripe_created.getTime() ||
      b.id.localeCompare(a.id),
  );
  const primary = subs[0];
  const status = primary?.status ?? 'none';
  const graceEndsAt =
    primary && status === 'past_due' && primary.past_due_since
      ? new Date(primary.past_due_since.getTime() + services.billing.graceDays * 86_400_000)
      : null;
  const plan = primary ? grantedPlan(primary.plan, status, graceEndsAt, at) : 'free';

  const tenant = await tx
    .selectFrom('tenants')
    .select(['plan', 'billing_status', 'billing_grace_ends_at'])
    .where('id', '=', tenantId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (
    tenant.plan === plan &&
    tenant.billing_status === status &&
    iso(tenant.billing_grace_ends_at) === iso(graceEndsAt)
  ) {
    return false;
  }
  await tx
    .updateTable('tenants')
    .set({
      plan,
      billing_status: status,
      billing_grace_ends_at: graceEndsAt,
      updated_at: new Date(),
    })
    .where('id', '=', tenantId)
    .execute();
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  if (tenant.plan !== plan) changes.plan = { from: tenant.plan, to: plan };
  if (tenant.billing_status !== status)
    changes.billingStatus = { from: tenant.billing_status, to: status };
  if (iso(tenant.billing_grace_ends_at) !== iso(graceEndsAt)) {
    changes.graceEndsAt = { from: iso(tenant.billing_grace_ends_at), to: iso(graceEndsAt) };
  }
  await recordAuditEvent(tx, tenantId, actor, NO_META, {
    action: tenant.plan !== plan ? 'tenant.plan_changed' : 'tenant.billing_status_changed',
    target: { type: 'tenant', id: tenantId },
    changes,
  });
  return true;
}

/** Counts a failed try on an inbox row (kept for the dead-letter list) and when it is retried. */
export async function recordEventFailure(
  services: AppServices,
  eventId: string,
  error: unknown,
  retryInMs: number,
): Promise<void> {
  await inTransaction(services.database, {}, (tx) =>
    tx
      .updateTable('stripe_webhook_events')
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        last_error: errorText(error),
        retry_at: new Date(Date.now() + retryInMs),
      }))
      .where('id', '=', eventId)
      .where('status', '=', 'pending')
      .execute(),
  );
}

/**
 * Gives up on inbox rows after their job's last try: those still pending wait in the dead-letter
 * list for a replay, each under its tenant and with its own last error. Returns their ids.
 */
export async function markEventsDead(
  services: AppServices,
  eventIds: string[],
  error: unknown,
): Promise<string[]> {
  return inTransaction(services.database, {}, async (tx) => {
    const rows = await tx
      .selectFrom('stripe_webhook_events')
      .select(['id', 'payload'])
      .where('id', 'in', eventIds)
      .where('status', '=', 'pending')
      .orderBy('id')
      .forUpdate()
      .execute();
    for (const row of rows) {
      const customerId = stripeEventRefs(row.payload as { type: string }).customerId;
      const tenant = customerId
        ? await tx
            .selectFrom('tenants')
            .select('id')
            .where('stripe_customer_id', '=', customerId)
            .executeTakeFirst()
        : undefined;
      await tx
        .updateTable('stripe_webhook_events')
        .set((eb) => ({
          status: 'dead',
          last_error: eb.fn.coalesce('last_error', eb.val(errorText(error))),
          resolved_tenant_id: tenant?.id ?? null,
        }))
        .where('id', '=', row.id)
        .execute();
    }
    return rows.map((r) => r.id);
  });
}

const errorText = (error: unknown) =>
  (error instanceof Error ? error.message : String(error)).slice(0, 2000);
