import type { Tx } from '../../data/database.ts';
import { AppError } from '../../errors.ts';

export type PlanId = 'free' | 'starter' | 'pro' | 'agency';

export interface PlanLimits {
  /** null: unlimited. */
  sites: number | null;
  members: number | null;
  /** Days of audit history kept. */
  auditRetentionDays: number | null;
}

export interface Plan {
  id: PlanId;
  name: string;
  /** Monthly price in minor units. */
  price: number;
  currency: string;
  limits: PlanLimits;
}

/** The catalog. Prices are what the sandbox charges; with Stripe keys, STRIPE_PRICE_* decide. */
export const PLANS: readonly Plan[] = [
  {
    id: 'free',
    name: 'Free',
    price: 0,
    currency: 'USD',
    limits: { sites: 2, members: 2, auditRetentionDays: 30 },
  },
  {
    id: 'starter',
    name: 'Starter',
    price: 2900,
    currency: 'USD',
    limits: { sites: 10, members: 5, auditRetentionDays: 365 },
  },
  {
    id: 'pro',
    name: 'Pro',
    price: 9900,
    currency: 'USD',
    limits: { sites: 50, members: 20, auditRetentionDays: 3 * 365 },
  },
  {
    id: 'agency',
    name: 'Agency',
    price: 29900,
    currency: 'USD',
    limits: { sites: null, members: null, auditRetentionDays: null },
  },
];

export const PAID_PLANS = ['starter', 'pro', 'agency'] as const satisfies readonly PlanId[];
export type PaidPlanId = (typeof PAID_PLANS)[number];

/** The paid plan a Stripe price stands for (`prices` from STRIPE_PRICE_* or the sandbox), or null. */
export function planForPrice(
  prices: Record<PaidPlanId, string>,
  priceId: string | null | undefined,
): PaidPlanId | null {
  if (!priceId) return null;
  return PAID_PLANS.find((p) => prices[p] === priceId) ?? null;
}

/** Subscription statuses that keep the subscribed plan: past_due only until its grace period ends. */
const ACCESS_STATUSES = new Set(['active', 'trialing', 'past_due']);

/**
 * The grace-period rule, the one place it is written: a past_due subscription keeps its plan
 * until its grace end (BILLING_GRACE_DAYS after the first failed renewal seen), then the free
 * plan's limits apply. True once that end has passed (or is unknown).
 */
export function graceOver(
  status: string,
  graceEndsAt: Date | null,
  at: Date = new Date(),
): boolean {
  return status === 'past_due' && (!graceEndsAt || graceEndsAt <= at);
}

/** When the grace period of a subscription past_due since `pastDueSince` ends. */
export function graceEnd(pastDueSince: Date, graceDays: number): Date {
  return new Date(pastDueSince.getTime() + graceDays * 86_400_000);
}

/**
 * The plan whose limits apply for a subscription: the subscribed plan while it is active or
 * trialing, or past_due within its grace period; the free plan otherwise (unpaid, canceled,
 * incomplete, incomplete_expired, paused). Nothing is deleted when limits shrink: the tenant just
 * cannot add more until it is back within them.
 */
export function planInEffect(
  subscribedPlan: string,
  status: string,
  graceEndsAt: Date | null,
  at: Date = new Date(),
): PlanId {
  if (!ACCESS_STATUSES.has(status) || graceOver(status, graceEndsAt, at)) return 'free';
  return planById(subscribedPlan).id;
}

/**
 * The plan whose limits apply to a tenant now: the plan billing granted (`tenants.plan`), unless
 * its grace period ended since (applied here at once, before the worker moves it to free).
 */
export function tenantPlanInEffect(
  tenant: { plan: string; billing_status: string; billing_grace_ends_at: Date | null },
  at: Date = new Date(),
): Plan {
  return planById(
    graceOver(tenant.billing_status, tenant.billing_grace_ends_at, at) ? 'free' : tenant.plan,
  );
}

/** A plan by id; an unknown id (a plan since retired) falls back to free. */
export function planById(id: string): Plan {
  return PLANS.find((p) => p.id === id) ?? PLANS[0]!;
}

export type LimitName = 'sites' | 'members';

async function usage(tx: Tx, tenantId: string, limit: LimitName): Promise<number> {
  if (limit === 'sites') {
    const row = await tx
      .selectFrom('sites')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
  // Pending invitations hold a seat, so inviting cannot overshoot the plan.
  const members = await tx
    .selectFrom('memberships')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  const invited = await tx
    .selectFrom('invitations')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', new Date())
    .executeTakeFirstOrThrow();
  return Number(members.n) + Number(invited.n);
}

/**
 * The one entitlement check: adding `adding` more of `limit` must stay within the tenant's plan,
 * else a 402 whose problem type names the limit. Locks the tenant row so two concurrent adds
 * cannot both pass.
 */
export async function assertWithinPlanLimit(
  tx: Tx,
  tenantId: string,
  limit: LimitName,
  adding = 1,
): Promise<void> {
  const tenant = await tx
    .selectFrom('tenants')
    .select(['plan', 'billing_status', 'billing_grace_ends_at'])
    .where('id', '=', tenantId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  const plan = tenantPlanInEffect(tenant);
  const max = plan.limits[limit];
  if (max === null) return;
  const used = await usage(tx, tenantId, limit);
  if (used + adding > max) {
    throw new AppError(
      'plan_limit',
      `The ${plan.name} plan allows ${max} ${limit}; upgrade the plan to add more`,
      { extensions: { limit, max, used, plan: plan.id, type: `/problems/plan-limit/${limit}` } },
    );
  }
}
