import type { RequestMeta } from '../audit/record-audit-event.ts';

/** Billing effects come from Stripe or the worker, never from a request: no ip or user agent. */
export const NO_META: RequestMeta = { ip: null, userAgent: null, requestId: null };

/** Stripe's seconds since the epoch as a Date (null stays null). */
export const toDate = (seconds: number | null | undefined) =>
  seconds ? new Date(seconds * 1000) : null;

/** A Date as ISO 8601 text, for comparisons and audit changes. */
export const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
