import { randomBytes } from 'node:crypto';

/** Shared by the sandbox's parts: object shapes, ids, errors and URL checks. */

export const SANDBOX_PRICES = {
  starter: { id: 'price_sandbox_starter', amount: 2900 },
  pro: { id: 'price_sandbox_pro', amount: 9900 },
  agency: { id: 'price_sandbox_agency', amount: 29900 },
} as const;

export type Obj = Record<string, unknown> & { id: string };

export interface SandboxPrice {
  id: string;
  nickname: string;
  unit_amount: number;
  currency: string;
}

export interface SandboxEvent extends Obj {
  type: string;
  created: number;
}

export const now = () => Math.floor(Date.now() / 1000);
export const stripeId = (prefix: string) =>
  `${prefix}_${randomBytes(18).toString('base64url').replace(/[-_]/g, '').slice(0, 24)}`;
export const clone = <T>(v: T): T => structuredClone(v);

export class SandboxError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = 'invalid_request_error',
    readonly code?: string,
  ) {
    super(message);
  }
}

/** Only http: and https: URLs are stored or redirected to (never `javascript:`, `data:`…). */
export function isWebUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

export function assertWebUrl(param: string, value: unknown) {
  if (!isWebUrl(value)) {
    throw new SandboxError(
      400,
      `Invalid URL: ${param} must be an http: or https: URL`,
      'invalid_request_error',
      'url_invalid',
    );
  }
}

/** The subscription an invoice belongs to (current API: under parent.subscription_details). */
export function subscriptionOfInvoice(invoice: Record<string, unknown>): string | null {
  const parent = invoice.parent as
    { subscription_details?: { subscription?: unknown } | null } | null | undefined;
  const sub = parent?.subscription_details?.subscription;
  if (typeof sub === 'string') return sub;
  if (sub && typeof sub === 'object' && 'id' in sub) return String((sub as { id: unknown }).id);
  return null;
}
