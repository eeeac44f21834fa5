import type { Tx } from '../../data/database.ts';
import { AppError } from '../../http/errors.ts';

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
  { id: 'free', name: 'Free', price: 0, currency: 'USD', limits: { sites: 2, members: 2, auditRetentionDays: 30 } },
  { id: 'starter', name: 'Starter', price: 2900, currency: 'USD', limits: { sites: 10, members: 5, auditRetentionDays: 365 } },
  { id: 'pro', name: 'Pro', price: 9900, currency: 'USD', limits: { sites: 50, members: 20, auditRetentionDays: 3 * 365 } },
  { id: 'agency', name: 'Agency', price: 29900, currency: 'USD', limits: { sites: null, members: null, auditRetentionDays: null } },
];

export const PAID_PLANS = ['starter', 'pro', 'agency'] as const satisfies readonly PlanId[];

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
    .select('plan')
    .where('id', '=', tenantId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  const plan = planById(tenant.plan);
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
