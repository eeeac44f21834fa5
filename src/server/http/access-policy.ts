import type { Role } from '../data/schema.ts';

/**
 * Who may call what: the one roles × routes table. `public` needs nobody, `signed_in` needs a
 * session but no tenant, a list of roles needs a member of the request's tenant with one of them.
 * A route that is missing here is denied to everyone (and fails the policy test).
 */
export type Access = 'public' | 'signed_in' | readonly Role[];

export const ALL_ROLES = ['owner', 'admin', 'member', 'client'] as const satisfies readonly Role[];
/** Staff edit the agency's data; clients only read it. */
export const STAFF = ['owner', 'admin', 'member'] as const satisfies readonly Role[];
/** Billing, API keys, members and the audit log. */
export const MANAGERS = ['owner', 'admin'] as const satisfies readonly Role[];

export const ACCESS: Readonly<Record<string, Access>> = {
  // Accounts
  'POST /api/v1/auth/signup': 'public',
  'POST /api/v1/auth/login': 'public',
  'POST /api/v1/auth/logout': 'public',
  'POST /api/v1/auth/password-reset': 'public',
  'POST /api/v1/auth/password-reset/confirm': 'public',
  'GET /api/v1/me': 'signed_in',
  'POST /api/v1/tenants': 'signed_in',
  'GET /api/v1/subdomains/:subdomain': 'signed_in',
  'POST /api/v1/invitations/accept': 'signed_in',
  'POST /api/v1/invitations/lookup': 'public',

  // Tenant settings
  'GET /api/v1/tenant': ALL_ROLES,
  'PATCH /api/v1/tenant': MANAGERS,
  'PUT /api/v1/tenant/logo': MANAGERS,
  'DELETE /api/v1/tenant/logo': MANAGERS,
  'GET /api/v1/tenant/logo': 'public',

  // Members and invitations
  'GET /api/v1/members': MANAGERS,
  'PATCH /api/v1/members/:userId': MANAGERS,
  'DELETE /api/v1/members/:userId': MANAGERS,
  'GET /api/v1/invitations': MANAGERS,
  'POST /api/v1/invitations': MANAGERS,
  'DELETE /api/v1/invitations/:id': MANAGERS,

  // Outgoing mail
  'GET /api/v1/outbox': MANAGERS,
  'GET /api/v1/outbox/:id': MANAGERS,

  // Scheduled report e-mails
  'POST /api/v1/report-schedules': MANAGERS,
  'GET /api/v1/report-schedules': MANAGERS,
  'GET /api/v1/report-schedules/:id': MANAGERS,
  'PATCH /api/v1/report-schedules/:id': MANAGERS,
  'DELETE /api/v1/report-schedules/:id': MANAGERS,
  'GET /api/v1/report-schedules/:id/deliveries': MANAGERS,
  'POST /api/v1/report-schedules/:id/send': MANAGERS,
  'GET /api/v1/report-schedules/:id/preview': MANAGERS,

  // API keys
  'GET /api/v1/api-keys': MANAGERS,
  'POST /api/v1/api-keys': MANAGERS,
  'DELETE /api/v1/api-keys/:id': MANAGERS,

  // Sites, services, metrics (clients see only the sites granted to them)
  'GET /api/v1/sites': ALL_ROLES,
  'POST /api/v1/sites': STAFF,
  'GET /api/v1/sites/:id': ALL_ROLES,
  'PATCH /api/v1/sites/:id': STAFF,
  'DELETE /api/v1/sites/:id': STAFF,
  'GET /api/v1/services': ALL_ROLES,
  'POST /api/v1/services': STAFF,
  'GET /api/v1/services/:id': ALL_ROLES,
  'PATCH /api/v1/services/:id': STAFF,
  'DELETE /api/v1/services/:id': STAFF,
  // The agency's time log (notes, hours at its rate) is internal: not for clients.
  'GET /api/v1/services/:id/time-entries': STAFF,
  'POST /api/v1/services/:id/time-entries': STAFF,
  'DELETE /api/v1/services/:id/time-entries/:entryId': STAFF,
  'GET /api/v1/sites/:siteId/metrics': ALL_ROLES,
  'POST /api/v1/sites/:siteId/metrics': STAFF,
  'GET /api/v1/reports/roi': ALL_ROLES,
  // Goals: staff manage; a client reads the goals of their granted sites only
  'GET /api/v1/goals': ALL_ROLES,
  'POST /api/v1/goals': STAFF,
  'GET /api/v1/goals/progress': ALL_ROLES,
  'PATCH /api/v1/goals/:id': STAFF,
  'DELETE /api/v1/goals/:id': STAFF,

  // Shared report links: staff manage them; a client reads those of their own sites
  'POST /api/v1/report-links': STAFF,
  'GET /api/v1/report-links': ALL_ROLES,
  'PATCH /api/v1/report-links/:id': STAFF,
  'DELETE /api/v1/report-links/:id': STAFF,
  // Public: the link's token is the credential
  'GET /api/v1/public/reports/:token': 'public',
  'POST /api/v1/public/reports/:token/unlock': 'public',

  // Annotations (clients read those of their granted sites and the workspace-wide ones)
  'GET /api/v1/annotations': ALL_ROLES,
  'POST /api/v1/annotations': STAFF,
  'DELETE /api/v1/annotations/:id': STAFF,

  // Billing
  'GET /api/v1/billing/plans': 'public',
  'POST /api/v1/billing/webhooks/stripe': 'public',
  'POST /api/v1/billing/checkout': MANAGERS,
  'POST /api/v1/billing/portal': MANAGERS,
  'GET /api/v1/billing/subscription': MANAGERS,
  'GET /api/v1/billing/invoices': MANAGERS,
  'GET /api/v1/billing/webhook-events': MANAGERS,
  'POST /api/v1/billing/webhook-events/:id/replay': MANAGERS,

  // Google connections: managers connect and disconnect; staff pick properties and link sites;
  // clients read the sync state and search terms of their granted sites.
  'POST /api/v1/integrations/google': MANAGERS,
  'GET /api/v1/integrations/google/callback': 'signed_in',
  'GET /api/v1/integrations': STAFF,
  'DELETE /api/v1/integrations/:id': MANAGERS,
  'GET /api/v1/integrations/:id/properties': STAFF,
  'PUT /api/v1/sites/:id/sources': STAFF,
  'GET /api/v1/sites/:id/sources': ALL_ROLES,
  'DELETE /api/v1/sites/:id/sources': STAFF,
  'POST /api/v1/sites/:id/sync': STAFF,
  'GET /api/v1/sites/:id/sync': ALL_ROLES,
  'GET /api/v1/sites/:id/search-terms': ALL_ROLES,

  // Audit log
  'GET /api/v1/audit-logs': MANAGERS,
  'GET /api/v1/audit-logs/export': MANAGERS,
  'GET /api/v1/audit-logs/verify': MANAGERS,
};

/** Looks up a route's access; undefined means deny. */
export function accessFor(key: string): Access | undefined {
  return Object.hasOwn(ACCESS, key) ? ACCESS[key] : undefined;
}
