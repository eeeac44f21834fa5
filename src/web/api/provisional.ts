import { z } from 'zod';

/**
 * Shapes from the contract for APIs whose shared schemas have not landed yet (billing, audit).
 * Replace each with the import from src/shared/schemas once it exists.
 */

export const PlanLimits = z.object({ sites: z.number().nullable(), members: z.number().nullable() }).loose();
export const Plan = z.object({
  id: z.string(),
  name: z.string(),
  price: z.number(),
  currency: z.string(),
  limits: PlanLimits,
}).loose();
export const PlansReply = z.object({ data: z.array(Plan) });
export const CheckoutReply = z.object({ id: z.string(), url: z.string() }).loose();
export const PortalReply = z.object({ url: z.string() }).loose();
export const Subscription = z.object({
  plan: z.string(),
  status: z.string(),
  currentPeriodEnd: z.string().nullable(),
  cancelAtPeriodEnd: z.boolean(),
}).loose();
export const InvoiceItem = z.object({ id: z.string() }).loose();

export const AuditEvent = z.object({
  id: z.string(),
  seq: z.number(),
  occurredAt: z.string(),
  actor: z.object({ type: z.string(), id: z.string().nullable(), label: z.string().nullable() }).loose(),
  action: z.string(),
  target: z.object({ type: z.string(), id: z.string().nullable() }).loose().nullable(),
  changes: z.unknown(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  requestId: z.string().nullable(),
}).loose();
export const VerifyReply = z.object({ valid: z.boolean(), checked: z.number(), firstInvalidSeq: z.number().nullable() }).loose();

export type PlanT = z.infer<typeof Plan>;
export type SubscriptionT = z.infer<typeof Subscription>;
export type InvoiceT = z.infer<typeof InvoiceItem> & {
  number?: string | null;
  status?: string;
  amountDue?: number;
  amountPaid?: number;
  total?: number;
  currency?: string;
  createdAt?: string;
  periodStart?: string | null;
  periodEnd?: string | null;
  hostedInvoiceUrl?: string | null;
};
export type AuditEventT = z.infer<typeof AuditEvent>;
