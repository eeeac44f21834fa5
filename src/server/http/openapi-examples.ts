import { ERROR_CODES } from '../errors.ts';
import { PLANS } from '../domain/billing/plans.ts';

/**
 * A request and its answers for every operation of the OpenAPI document, keyed like the access
 * table ('POST /api/v1/sites'). Kept apart from the route files so that documenting an operation
 * never touches its code. tests/core/openapi-examples.test.ts sends every request example to the
 * app (with the placeholders of EXAMPLE_IDS and EXAMPLE_VALUES replaced by objects it creates) and
 * checks the answer, and every response example, against the route's response schema; an
 * operation without an entry here fails that test.
 */
export interface OperationExample {
  /** Path parameters by name. */
  params?: Record<string, string>;
  /** Query parameters by name (an array for a repeatable one). */
  query?: Record<string, string | number | string[]>;
  /** The request body; `bodyType` names its media type (default application/json). */
  body?: unknown;
  bodyType?: string;
  /** A response example per documented success status; a status without a body maps to null. */
  responses: Record<number, unknown>;
  /** Problem statuses this operation can answer beyond those every operation of its kind does. */
  errors?: number[];
}

/** Ids the examples use; the example test replaces each with an object it created. */
export const EXAMPLE_IDS = {
  tenant: 'b3e1f7a2-4c5d-4e6f-8a7b-1c2d3e4f5a60',
  user: '5d2c9e1a-7b3f-4a8e-9c6d-2e1f0a9b8c71',
  member: '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  site: '8f14e45f-ceea-4e7a-a2f6-0c3e5d7b9a12',
  service: 'c9f0f895-fb98-4b91-9d5e-1a2b3c4d5e63',
  timeEntry: '45c48cce-2e2d-4fbd-a3c1-7d8e9f0a1b24',
  invitation: 'd3d94468-02a4-4c31-b7a6-3e4f5a6b7c85',
  apiKey: '6512bd43-d9ca-46e0-8b1f-4a5b6c7d8e96',
  annotation: '1679091c-5a88-4faf-8b3e-2c4d6e8f0a13',
  goal: '1f0e3dad-9990-4a5e-8c4b-2b3c4d5e6f70',
  outboxMessage: '70efdf2e-c9b0-4607-9795-0c5d8e6f7a24',
  reportSchedule: 'e4da3b7f-bbce-4345-9777-2b0674a318d5',
  stripeEvent: 'evt_1QExampleDeadEvent0001',
  integration: '2a7d4c1e-9b3f-4e8a-b6c5-0d1e2f3a4b5c',
  reportLink: '0193a4c2-7b1d-7e2f-8a3b-4c5d6e7f8a9b',
} as const;

/** Other values that must be unique or real when the example is sent. */
export const EXAMPLE_VALUES = {
  email: 'jane@agency.example',
  subdomain: 'acme-seo',
  invitationToken: 'inv_3q2Xr9vKcTz8LmN4pW7yBd5hJ6',
  googleCode: '4/0AeaYSHBexampleAuthorizationCode',
  googleState: 'f0e1d2c3-b4a5-4968-8776-655443322110.Xk3mP9qR2sT5vW8yZ1aC4dF7gH0jL3nQ6tV9xB2eE5h',
  passwordResetToken: 'pwr_Jd8Qm2xR5tV9wY3zB6cF1hK4nP7',
  reportToken: 'Vq3X0aZ7c2JkR9mT4uWn8pLs1dYb6eHf5gQo2iCv7xA',
} as const;

const ID = EXAMPLE_IDS;

/** The figures of the shared report example (one site, March 2026). */
const SHARED_FIGURES = {
  revenue: 500000,
  value: 500000,
  cost: 120000,
  profit: 380000,
  roi: 3.1667,
  sessions: 40,
  conversions: 0,
  clicks: 0,
  impressions: 0,
  position: null,
};
const SHARED_SITE_REPORT = {
  currency: 'USD',
  from: '2026-03-01',
  to: '2026-03-31',
  groupBy: 'site',
  totals: { ...SHARED_FIGURES, coverage: { days: 31, daysWithData: 1 } },
  series: [{ key: '8f14e45f-ceea-4e7a-a2f6-0c3e5d7b9a12', label: 'Shop', ...SHARED_FIGURES }],
  comparison: null,
};

/** A problem+json example for a status (RFC 9457, as the error middleware writes it). */
export function problemExample(status: number, detail?: string): Record<string, unknown> {
  const [code, spec] = Object.entries(ERROR_CODES).find(([, c]) => c.status === status) ?? [
    'internal',
    ERROR_CODES.internal,
  ];
  return {
    type: `/problems/${code.replaceAll('_', '-')}`,
    title: spec.title,
    status,
    detail: detail ?? spec.title,
    // The generic 400 shows the field list every validation error carries.
    ...(status === 400 && detail === undefined
      ? { errors: [{ path: 'name', message: 'is required' }] }
      : {}),
  };
}

export const OPERATION_EXAMPLES: Readonly<Record<string, OperationExample>> = {
  // Accounts
  'POST /api/v1/auth/signup': {
    body: { email: EXAMPLE_VALUES.email, password: 'correct horse battery', name: 'Jane Doe' },
    responses: {
      201: {
        user: {
          id: '01a24da2-2ace-72ca-afb8-defce36f9fb6',
          email: 'jane@agency.example',
          name: 'Jane Doe',
          createdAt: '2026-03-02T09:15:23.150Z',
        },
      },
    },
    errors: [409],
  },
  'POST /api/v1/auth/login': {
    body: { email: EXAMPLE_VALUES.email, password: 'correct horse battery' },
    responses: {
      200: {
        user: {
          id: '01a24da2-2f09-725a-9f04-5938691c2d45',
          email: 'jane@agency.example',
          name: 'Jane Doe',
          createdAt: '2026-03-02T09:15:24.233Z',
        },
      },
    },
  },
  'POST /api/v1/auth/logout': { responses: { 204: null } },
  'POST /api/v1/auth/password-reset': {
    body: { email: EXAMPLE_VALUES.email },
    responses: { 202: null },
  },
  'POST /api/v1/auth/password-reset/confirm': {
    body: { token: EXAMPLE_VALUES.passwordResetToken, password: 'a new long passphrase' },
    responses: { 204: null },
    errors: [400],
  },
  'GET /api/v1/me': {
    responses: {
      200: {
        user: {
          id: '5d2c9e1a-7b3f-4a8e-9c6d-2e1f0a9b8c71',
          email: 'sam@agency.example',
          name: 'Test User',
          createdAt: '2026-03-02T09:15:25.769Z',
        },
        memberships: [
          {
            tenant: {
              id: 'b3e1f7a2-4c5d-4e6f-8a7b-1c2d3e4f5a60',
              name: 'Acme SEO',
              subdomain: 'acme-seo',
            },
            role: 'owner',
          },
        ],
      },
    },
  },
  'POST /api/v1/tenants': {
    body: { name: 'Acme SEO', subdomain: EXAMPLE_VALUES.subdomain },
    responses: {
      201: {
        id: '01a24da2-38e0-7949-91bb-3bf75fd4b2df',
        name: 'Acme SEO',
        subdomain: 'acme-seo',
        plan: 'free',
        createdAt: '2026-03-02T09:15:26.752Z',
      },
    },
  },
  'GET /api/v1/subdomains/:subdomain': {
    params: { subdomain: EXAMPLE_VALUES.subdomain },
    responses: { 200: { subdomain: 'acme-seo', available: true, reason: null } },
  },
  'POST /api/v1/invitations/lookup': {
    body: { token: EXAMPLE_VALUES.invitationToken },
    responses: {
      200: {
        workspaceName: 'Acme SEO',
        role: 'member',
        invitedBy: 'Jane Doe',
        siteCount: 0,
        expiresAt: '2026-03-09T23:13:32.240Z',
        email: 'sam@agency.example',
        forSignedInUser: null,
      },
    },
  },
  'POST /api/v1/invitations/accept': {
    body: { token: EXAMPLE_VALUES.invitationToken },
    responses: {
      200: {
        tenantId: 'b3e1f7a2-4c5d-4e6f-8a7b-1c2d3e4f5a60',
        memberships: [
          {
            tenant: {
              id: 'b3e1f7a2-4c5d-4e6f-8a7b-1c2d3e4f5a60',
              name: 'Acme SEO',
              subdomain: 'acme-seo',
            },
            role: 'member',
          },
        ],
      },
    },
    errors: [402, 404],
  },

  // Tenant settings
  'GET /api/v1/tenant': {
    responses: {
      200: {
        id: 'b3e1f7a2-4c5d-4e6f-8a7b-1c2d3e4f5a60',
        name: 'Acme SEO',
        subdomain: 'acme-seo',
        plan: 'free',
        currency: 'USD',
        timezone: 'UTC',
        branding: { displayName: null, primaryColor: null, reportTitle: null, logoUrl: null },
        createdAt: '2026-03-02T09:15:27.773Z',
        billingStatus: 'none',
        pastDue: false,
        billingGraceEndsAt: null,
      },
    },
  },
  'PATCH /api/v1/tenant': {
    body: {
      name: 'Acme SEO Agency',
      timezone: 'Europe/Paris',
      branding: { displayName: 'Acme SEO', primaryColor: '#1f6feb' },
    },
    responses: {
      200: {
        id: 'b3e1f7a2-4c5d-4e6f-8a7b-1c2d3e4f5a60',
        name: 'Acme SEO Agency',
        subdomain: 'acme-seo',
        plan: 'free',
        currency: 'USD',
        timezone: 'Europe/Paris',
        branding: {
          displayName: 'Acme SEO',
          primaryColor: '#1f6feb',
          reportTitle: null,
          logoUrl: '/api/v1/tenant/logo?tenant=acme-seo&v=9f86d081884c7d65',
        },
        createdAt: '2026-03-02T09:15:28.447Z',
        billingStatus: 'none',
        pastDue: false,
        billingGraceEndsAt: null,
      },
    },
    errors: [409],
  },

  'PUT /api/v1/tenant/logo': {
    body: '<the PNG, JPEG or WebP bytes>',
    bodyType: 'image/png',
    responses: {
      200: {
        contentType: 'image/png',
        bytes: 18342,
        sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
        url: '/api/v1/tenant/logo?tenant=acme-seo&v=9f86d081884c7d65',
        updatedAt: '2026-03-02T09:20:11.204Z',
      },
    },
    errors: [413],
  },
  'DELETE /api/v1/tenant/logo': { responses: { 204: null }, errors: [404] },
  'GET /api/v1/tenant/logo': {
    query: { tenant: ID.tenant },
    responses: { 200: '<the image bytes>', 304: null },
    errors: [404],
  },

  // Members and invitations
  'GET /api/v1/members': {
    query: { limit: 50 },
    responses: {
      200: {
        data: [
          {
            userId: '5d2c9e1a-7b3f-4a8e-9c6d-2e1f0a9b8c71',
            email: 'sam@agency.example',
            name: 'Test User',
            role: 'owner',
            siteIds: [],
            joinedAt: '2026-03-02T09:15:28.932Z',
          },
        ],
        nextCursor: null,
      },
    },
  },
  'PATCH /api/v1/members/:userId': {
    params: { userId: ID.member },
    body: { role: 'admin' },
    responses: {
      200: {
        userId: '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
        email: 'sam@agency.example',
        name: 'Test User',
        role: 'admin',
        siteIds: [],
        joinedAt: '2026-03-02T09:15:30.125Z',
      },
    },
    errors: [409],
  },
  'DELETE /api/v1/members/:userId': {
    params: { userId: ID.member },
    responses: { 204: null },
    errors: [409],
  },
  'GET /api/v1/invitations': {
    query: { limit: 50 },
    responses: {
      200: {
        data: [
          {
            id: '01a24da2-4e50-7c10-9388-fd58a98d30ed',
            email: 'sam@agency.example',
            role: 'member',
            siteIds: [],
            createdAt: '2026-03-02T09:15:32.240Z',
            expiresAt: '2026-03-09T23:13:32.240Z',
            acceptedAt: null,
          },
        ],
        nextCursor: null,
      },
    },
  },
  'POST /api/v1/invitations': {
    body: { email: 'sam@agency.example', role: 'member' },
    responses: {
      201: {
        id: '01a24da2-4e50-7c10-9388-fd58a98d30ed',
        email: 'sam@agency.example',
        role: 'member',
        siteIds: [],
        createdAt: '2026-03-02T09:15:32.240Z',
        expiresAt: '2026-03-09T23:13:32.240Z',
        acceptedAt: null,
        token: 'inv_RBDgLzCz_K_NC4TN-JuzO_vvoMfeJCdK7b8geZuVJiA',
        acceptUrl:
          'http://localhost:3000/invite?token=inv_RBDgLzCz_K_NC4TN-JuzO_vvoMfeJCdK7b8geZuVJiA',
      },
    },
    errors: [402],
  },
  'DELETE /api/v1/invitations/:id': { params: { id: ID.invitation }, responses: { 204: null } },

  // API keys
  'GET /api/v1/api-keys': {
    query: { limit: 50 },
    responses: {
      200: {
        data: [
          {
            id: '01a24da2-5921-7ba5-8394-a9ee2b7282e4',
            name: 'key-4a2796e542',
            role: 'admin',
            prefix: 'rsk_3Jq8sXv2LpT9wKz4NcR7bY5mD1hF6gA0',
            createdAt: '2026-03-02T09:15:35.009Z',
            lastUsedAt: null,
            revokedAt: null,
          },
        ],
        nextCursor: null,
      },
    },
  },
  'POST /api/v1/api-keys': {
    body: { name: 'Reporting script', role: 'member' },
    responses: {
      201: {
        id: '01a24da2-57bc-7cab-b6f2-d495bfa92c7a',
        name: 'Reporting script',
        role: 'member',
        key: 'rsk_3Jq8sXv2LpT9wKz4NcR7bY5mD1hF6gA0',
      },
    },
  },
  'DELETE /api/v1/api-keys/:id': { params: { id: ID.apiKey }, responses: { 204: null } },

  // Sites
  'GET /api/v1/sites': {
    query: { limit: 50 },
    responses: {
      200: {
        data: [
          {
            id: '8f14e45f-ceea-4e7a-a2f6-0c3e5d7b9a12',
            name: 'Site 14c8260969',
            domain: '418847ee10.example.com',
            clientName: null,
            attribution: { revenueShare: 1, conversionValue: 0, grossMargin: 1, baseline: null },
            createdAt: '2026-03-02T09:15:37.851Z',
            updatedAt: '2026-03-02T09:15:37.851Z',
          },
        ],
        nextCursor: null,
      },
    },
  },
  'POST /api/v1/sites': {
    body: { name: 'Acme Shop', domain: 'shop.acme.example', clientName: 'Acme Inc.' },
    responses: {
      201: {
        id: '01a24da2-5fd1-7495-9436-61fedfded25e',
        name: 'Acme Shop',
        domain: 'shop.acme.example',
        clientName: 'Acme Inc.',
        attribution: { revenueShare: 1, conversionValue: 0, grossMargin: 1, baseline: null },
        createdAt: '2026-03-02T09:15:36.715Z',
        updatedAt: '2026-03-02T09:15:36.715Z',
      },
    },
    errors: [402],
  },
  'GET /api/v1/sites/:id': {
    params: { id: ID.site },
    responses: {
      200: {
        id: '8f14e45f-ceea-4e7a-a2f6-0c3e5d7b9a12',
        name: 'Site 14c8260969',
        domain: '418847ee10.example.com',
        clientName: null,
        attribution: { revenueShare: 1, conversionValue: 0, grossMargin: 1, baseline: null },
        createdAt: '2026-03-02T09:15:37.851Z',
        updatedAt: '2026-03-02T09:15:37.851Z',
      },
    },
  },
  'PATCH /api/v1/sites/:id': {
    params: { id: ID.site },
    body: {
      name: 'Acme Shop (EU)',
      attribution: {
        revenueShare: 0.35,
        conversionValue: 0,
        grossMargin: 0.6,
        baseline: { from: '2025-01-01', to: '2025-03-31' },
      },
    },
    responses: {
      200: {
        id: '8f14e45f-ceea-4e7a-a2f6-0c3e5d7b9a12',
        name: 'Acme Shop (EU)',
        domain: '5fef30ee0c.example.com',
        clientName: null,
        attribution: {
          revenueShare: 0.35,
          conversionValue: 0,
          grossMargin: 0.6,
          baseline: { from: '2025-01-01', to: '2025-03-31' },
        },
        createdAt: '2026-03-02T09:15:38.510Z',
        updatedAt: '2026-03-02T09:15:38.636Z',
      },
    },
  },
  'DELETE /api/v1/sites/:id': { params: { id: ID.site }, responses: { 204: null } },

  // Services and time entries
  'GET /api/v1/services': {
    query: { siteId: ID.site, limit: 50 },
    responses: {
      200: {
        data: [
          {
            id: 'c9f0f895-fb98-4b91-9d5e-1a2b3c4d5e63',
            siteId: '01a24da2-701b-708c-bd9f-36f53e723460',
            name: 'SEO work',
            category: 'seo',
            billing: 'hourly',
            amount: 12000,
            currency: 'USD',
            startDate: '2026-01-01',
            endDate: null,
            createdAt: '2026-03-02T09:15:40.931Z',
            updatedAt: '2026-03-02T09:15:40.931Z',
          },
        ],
        nextCursor: null,
      },
    },
  },
  'POST /api/v1/services': {
    body: {
      siteId: ID.site,
      name: 'SEO retainer',
      category: 'seo',
      billing: 'monthly',
      amount: 250000,
      startDate: '2026-01-01',
    },
    responses: {
      201: {
        id: '01a24da2-6c8b-7b42-9a4b-d8d3b35d8951',
        siteId: '8f14e45f-ceea-4e7a-a2f6-0c3e5d7b9a12',
        name: 'SEO retainer',
        category: 'seo',
        billing: 'monthly',
        amount: 250000,
        currency: 'USD',
        startDate: '2026-01-01',
        endDate: null,
        createdAt: '2026-03-02T09:15:39.979Z',
        updatedAt: '2026-03-02T09:15:39.979Z',
      },
    },
  },
  'GET /api/v1/services/:id': {
    params: { id: ID.service },
    responses: {
      200: {
        id: 'c9f0f895-fb98-4b91-9d5e-1a2b3c4d5e63',
        siteId: '01a24da2-701b-708c-bd9f-36f53e723460',
        name: 'SEO work',
        category: 'seo',
        billing: 'hourly',
        amount: 12000,
        currency: 'USD',
        startDate: '2026-01-01',
        endDate: null,
        createdAt: '2026-03-02T09:15:40.931Z',
        updatedAt: '2026-03-02T09:15:40.931Z',
      },
    },
  },
  'PATCH /api/v1/services/:id': {
    params: { id: ID.service },
    body: { amount: 300000 },
    responses: {
      200: {
        id: 'c9f0f895-fb98-4b91-9d5e-1a2b3c4d5e63',
        siteId: '01a24da2-72ca-78e1-8602-4bc79d134ae7',
        name: 'SEO work',
        category: 'seo',
        billing: 'hourly',
        amount: 300000,
        currency: 'USD',
        startDate: '2026-01-01',
        endDate: null,
        createdAt: '2026-03-02T09:15:41.627Z',
        updatedAt: '2026-03-02T09:15:41.853Z',
      },
    },
  },
  'DELETE /api/v1/services/:id': { params: { id: ID.service }, responses: { 204: null } },
  'GET /api/v1/outbox': {
    query: { limit: 50 },
    responses: {
      200: {
        data: [
          {
            id: '01a24da2-7b20-7d3e-8f4a-5b6c7d8e9f01',
            kind: 'invitation',
            to: ['sam@client.example'],
            subject: 'Join Acme SEO on ROI Spectrum',
            status: 'queued',
            createdAt: '2026-03-02T09:15:43.200Z',
            sentAt: null,
            error: null,
          },
        ],
        nextCursor: null,
      },
    },
  },
  'GET /api/v1/outbox/:id': {
    params: { id: ID.outboxMessage },
    responses: {
      200: {
        id: '01a24da2-7b20-7d3e-8f4a-5b6c7d8e9f01',
        kind: 'invitation',
        to: ['sam@client.example'],
        subject: 'Join Acme SEO on ROI Spectrum',
        status: 'sent',
        createdAt: '2026-03-02T09:15:43.200Z',
        sentAt: '2026-03-02T09:15:45.020Z',
        error: null,
        fromName: 'Acme SEO',
        messageId: '<01a24da2-7b20-7d3e-8f4a-5b6c7d8e9f01@acme.example>',
        attempts: 1,
        text: 'Jane Doe invited you to join Acme SEO on ROI Spectrum as a client.\n\nAccept the invitation: https://app.example/invite?token=inv_…\n',
        html: '<!doctype html><html>…</html>',
        attachments: [],
      },
    },
  },
  'POST /api/v1/report-schedules': {
    body: {
      name: 'Monthly client report',
      siteIds: [ID.site],
      recipients: ['marketing@client.example'],
      frequency: 'monthly',
      dayOfMonth: 1,
      hour: 8,
      period: { preset: 'previous_month' },
      attachPdf: true,
    },
    responses: {
      201: {
        id: 'a87ff679-a2f3-471d-8181-a67b7542122c',
        name: 'Monthly client report',
        siteIds: ['8f14e45f-ceea-4e7a-a2f6-0c3e5d7b9a12'],
        recipients: ['marketing@client.example'],
        frequency: 'monthly',
        dayOfWeek: null,
        dayOfMonth: 1,
        hour: 8,
        period: { preset: 'previous_month' },
        attachPdf: true,
        nextRunAt: '2026-04-01T08:00:00.000Z',
        createdAt: '2026-03-02T09:15:44.010Z',
        updatedAt: '2026-03-02T09:15:44.010Z',
      },
    },
  },
  'GET /api/v1/report-schedules': {
    query: { limit: 50 },
    responses: {
      200: {
        data: [
          {
            id: 'a87ff679-a2f3-471d-8181-a67b7542122c',
            name: 'Monthly client report',
            siteIds: ['8f14e45f-ceea-4e7a-a2f6-0c3e5d7b9a12'],
            recipients: ['marketing@client.example'],
            frequency: 'monthly',
            dayOfWeek: null,
            dayOfMonth: 1,
            hour: 8,
            period: { preset: 'previous_month' },
            attachPdf: true,
            nextRunAt: '2026-04-01T08:00:00.000Z',
            createdAt: '2026-03-02T09:15:44.010Z',
            updatedAt: '2026-03-02T09:15:44.010Z',
          },
        ],
        nextCursor: null,
      },
    },
  },
  'GET /api/v1/report-schedules/:id': {
    params: { id: ID.reportSchedule },
    responses: {
      200: {
        id: 'a87ff679-a2f3-471d-8181-a67b7542122c',
        name: 'Monthly client report',
        siteIds: ['8f14e45f-ceea-4e7a-a2f6-0c3e5d7b9a12'],
        recipients: ['marketing@client.example'],
        frequency: 'monthly',
        dayOfWeek: null,
        dayOfMonth: 1,
        hour: 8,
        period: { preset: 'previous_month' },
        attachPdf: true,
        nextRunAt: '2026-04-01T08:00:00.000Z',
        createdAt: '2026-03-02T09:15:44.010Z',
        updatedAt: '2026-03-02T09:15:44.010Z',
      },
    },
  },
  'PATCH /api/v1/report-schedules/:id': {
    params: { id: ID.reportSchedule },
    body: { hour: 8 },
    responses: {
      200: {
        id: 'a87ff679-a2f3-471d-8181-a67b7542122c',
        name: 'Monthly client report',
        siteIds: ['8f14e45f-ceea-4e7a-a2f6-0c3e5d7b9a12'],
        recipients: ['marketing@client.example'],
        frequency: 'monthly',
        dayOfWeek: null,
        dayOfMonth: 1,
        hour: 8,
        period: { preset: 'previous_month' },
        attachPdf: true,
        nextRunAt: '2026-04-01T08:00:00.000Z',
        createdAt: '2026-03-02T09:15:44.010Z',
        updatedAt: '2026-03-02T09:15:44.010Z',
      },
    },
  },
  'DELETE /api/v1/report-schedules/:id': {
    params: { id: ID.reportSchedule },
    responses: { 204: null },
  },
  'GET /api/v1/report-schedules/:id/deliveries': {
    params: { id: ID.reportSchedule },
    query: { limit: 50 },
    responses: {
      200: {
        data: [
          {
            id: '01a24da2-7c30-7e4f-9a5b-6c7d8e9f0a12',
            scheduleId: 'a87ff679-a2f3-471d-8181-a67b7542122c',
            periodKey: '2026-03',
            status: 'pending',
            trigger: 'manual',
            recipients: ['marketing@client.example'],
            outboxMessageId: null,
            createdAt: '2026-03-02T09:15:45.500Z',
            sentAt: null,
            error: null,
          },
        ],
        nextCursor: null,
      },
    },
  },
  'POST /api/v1/report-schedules/:id/send': {
    params: { id: ID.reportSchedule },
    responses: {
      202: {
        id: '01a24da2-7c30-7e4f-9a5b-6c7d8e9f0a12',
        scheduleId: 'a87ff679-a2f3-471d-8181-a67b7542122c',
        periodKey: '2026-03',
        status: 'pending',
        trigger: 'manual',
        recipients: ['marketing@client.example'],
        outboxMessageId: null,
        createdAt: '2026-03-02T09:15:45.500Z',
        sentAt: null,
        error: null,
      },
    },
    errors: [409],
  },
  'GET /api/v1/report-schedules/:id/preview': {
    params: { id: ID.reportSchedule },
    responses: {
      200: {
        periodKey: '2026-03',
        from: '2026-02-01',
        to: '2026-02-28',
        subject: 'Monthly client report: Previous month (2026-02-01 – 2026-02-28)',
        text: 'Acme SEO — Monthly client report\n…',
        html: '<!doctype html><html>…</html>',
      },
    },
  },
  'POST /api/v1/annotations': {
    body: { siteId: ID.site, date: '2026-03-01', title: 'New landing pages live' },
    responses: {
      201: {
        id: '01a24da2-7a10-7c1e-9d2b-3f4e5a6b7c8d',
        siteId: '8f14e45f-ceea-4e7a-a2f6-0c3e5d7b9a12',
        date: '2026-03-01',
        title: 'New landing pages live',
        note: null,
        source: 'manual',
        serviceId: null,
        createdAt: '2026-03-02T09:15:42.101Z',
      },
    },
  },
  'GET /api/v1/annotations': {
    query: { from: '2026-01-01', to: '2026-12-31', siteId: [ID.site] },
    responses: {
      200: {
        data: [
          {
            id: '3f1c2a9e-5b7d-8e41-a2c3-9d8e7f6a5b4c',
            siteId: '8f14e45f-ceea-4e7a-a2f6-0c3e5d7b9a12',
            date: '2026-01-01',
            title: 'Retainer started: SEO retainer',
            note: null,
            source: 'service',
            serviceId: 'c9f0f895-fb98-4b91-9d5e-1a2b3c4d5e63',
            createdAt: null,
          },
          {
            id: '01a24da2-7a10-7c1e-9d2b-3f4e5a6b7c8d',
            siteId: null,
            date: '2026-03-13',
            title: 'Google core update',
            note: 'Rankings moved for a week',
            source: 'manual',
            serviceId: null,
            createdAt: '2026-03-13T10:02:11.410Z',
          },
        ],
        nextCursor: null,
      },
    },
  },
  'DELETE /api/v1/annotations/:id': {
    params: { id: ID.annotation },
    responses: { 204: null },
    errors: [409],
  },
  'GET /api/v1/services/:id/time-entries': {
    params: { id: ID.service },
    query: { limit: 50 },
    responses: {
      200: {
        data: [
          {
            id: '01a24da2-79c6-7394-a953-465702ddd932',
            serviceId: 'c9f0f895-fb98-4b91-9d5e-1a2b3c4d5e63',
            siteId: '01a24da2-78e7-73c4-9332-58d6687549cd',
            date: '2026-02-03',
            hours: 1.5,
            note: 'Keyword research',
            cost: 18000,
            currency: 'USD',
            createdAt: '2026-03-02T09:15:43.366Z',
          },
        ],
        nextCursor: null,
      },
    },
  },
  'POST /api/v1/services/:id/time-entries': {
    params: { id: ID.service },
    body: { date: '2026-02-03', hours: 1.5, note: 'Keyword research' },
    responses: {
      201: {
        id: '01a24da2-79c6-7394-a953-465702ddd932',
        serviceId: 'c9f0f895-fb98-4b91-9d5e-1a2b3c4d5e63',
        siteId: '01a24da2-78e7-73c4-9332-58d6687549cd',
        date: '2026-02-03',
        hours: 1.5,
        note: 'Keyword research',
        cost: 18000,
        currency: 'USD',
        createdAt: '2026-03-02T09:15:43.366Z',
      },
    },
  },
  'DELETE /api/v1/services/:id/time-entries/:entryId': {
    params: { id: ID.service, entryId: ID.timeEntry },
    responses: { 204: null },
  },

  // Metrics and the ROI report
  'POST /api/v1/sites/:siteId/metrics': {
    params: { siteId: ID.site },
    body: {
      rows: [
        { date: '2026-01-05', sessions: 120, conversions: 4, revenue: 123456 },
        { date: '2026-01-06', clicks: 80, impressions: 2400, position: 7.4 },
      ],
    },
    responses: { 200: { received: 2, inserted: 2, updated: 0 } },
  },
  'GET /api/v1/sites/:siteId/metrics': {
    params: { siteId: ID.site },
    query: { from: '2026-01-01', to: '2026-01-31' },
    responses: { 200: { data: [], nextCursor: null } },
  },
  'GET /api/v1/reports/roi': {
    query: {
      from: '2026-01-01',
      to: '2026-02-28',
      siteId: [ID.site],
      groupBy: 'month',
      compare: 'year',
    },
    responses: {
      200: {
        currency: 'USD',
        from: '2026-01-01',
        to: '2026-02-28',
        groupBy: 'month',
        totals: {
          revenue: 1250000,
          value: 262500,
          cost: 180000,
          profit: 82500,
          roi: 0.4583333333333333,
          sessions: 15400,
          conversions: 212,
          clicks: 8200,
          impressions: 240000,
          position: 14.2,
          coverage: { days: 59, daysWithData: 57 },
        },
        series: [
          {
            key: '2026-01',
            label: 'Jan 2026',
            revenue: 600000,
            value: 126000,
            cost: 90000,
            profit: 36000,
            roi: 0.4,
            sessions: 7600,
            conversions: 101,
            clicks: 4000,
            impressions: 118000,
            position: 14.6,
          },
          {
            key: '2026-02',
            label: 'Feb 2026',
            revenue: 650000,
            value: 136500,
            cost: 90000,
            profit: 46500,
            roi: 0.5166666666666667,
            sessions: 7800,
            conversions: 111,
            clicks: 4200,
            impressions: 122000,
            position: 13.81,
          },
        ],
        comparison: {
          from: '2025-01-01',
          to: '2025-02-28',
          totals: {
            revenue: 400000,
            value: 84000,
            cost: 180000,
            profit: -96000,
            roi: -0.5333333333333333,
            sessions: 9100,
            conversions: 70,
            clicks: 3900,
            impressions: 150000,
            position: 21.5,
            coverage: { days: 59, daysWithData: 31 },
          },
        },
      },
    },
  },

  // Goals
  'GET /api/v1/goals': {
    query: { limit: 50 },
    responses: {
      200: {
        data: [
          {
            id: '1f0e3dad-9990-4a5e-8c4b-2b3c4d5e6f70',
            siteId: '8f14e45f-ceea-4e7a-a2f6-0c3e5d7b9a12',
            metric: 'value',
            period: 'month',
            target: 500000,
            createdAt: '2026-03-02T09:16:01.120Z',
          },
        ],
        nextCursor: null,
      },
    },
  },
  'POST /api/v1/goals': {
    body: { siteId: ID.site, metric: 'roi', period: 'quarter', target: 1.5 },
    responses: {
      201: {
        id: '1f0e3dad-9990-4a5e-8c4b-2b3c4d5e6f70',
        siteId: '8f14e45f-ceea-4e7a-a2f6-0c3e5d7b9a12',
        metric: 'roi',
        period: 'quarter',
        target: 1.5,
        createdAt: '2026-03-02T09:16:01.120Z',
      },
    },
    errors: [404],
  },
  'GET /api/v1/goals/progress': {
    responses: {
      200: {
        data: [
          {
            goal: {
              id: '1f0e3dad-9990-4a5e-8c4b-2b3c4d5e6f70',
              siteId: '8f14e45f-ceea-4e7a-a2f6-0c3e5d7b9a12',
              metric: 'value',
              period: 'month',
              target: 500000,
              createdAt: '2026-03-02T09:16:01.120Z',
            },
            from: '2026-03-01',
            to: '2026-03-31',
            daysElapsed: 10,
            daysTotal: 31,
            actual: 180000,
            projected: 558000,
            status: 'on_track',
          },
        ],
      },
    },
  },
  'PATCH /api/v1/goals/:id': {
    params: { id: ID.goal },
    body: { target: 2 },
    responses: {
      200: {
        id: '1f0e3dad-9990-4a5e-8c4b-2b3c4d5e6f70',
        siteId: null,
        metric: 'roi',
        period: 'quarter',
        target: 2,
        createdAt: '2026-03-02T09:16:01.120Z',
      },
    },
  },
  'DELETE /api/v1/goals/:id': { params: { id: ID.goal }, responses: { 204: null } },

  // Shared report links
  'POST /api/v1/report-links': {
    body: {
      name: 'Shop: last 90 days',
      siteIds: [ID.site],
      period: { preset: 'last_90_days' },
      password: 'plum tree 42',
      expiresAt: '2999-01-31T00:00:00Z',
    },
    responses: {
      201: {
        id: '0193a4c2-7b1d-7e2f-8a3b-4c5d6e7f8a9b',
        name: 'Shop: last 90 days',
        url: 'https://app.example.com/r/Vq3X0aZ7c2JkR9mT4uWn8pLs1dYb6eHf5gQo2iCv7xA',
        siteIds: ['8f14e45f-ceea-4e7a-a2f6-0c3e5d7b9a12'],
        period: { preset: 'last_90_days' },
        expiresAt: '2027-01-31T00:00:00.000Z',
        hasPassword: true,
        views: 0,
        lastViewedAt: null,
        createdAt: '2026-03-02T09:30:00.000Z',
      },
    },
    errors: [404],
  },
  'GET /api/v1/report-links': {
    query: { limit: 50 },
    responses: {
      200: {
        data: [
          {
            id: '0193a4c2-7b1d-7e2f-8a3b-4c5d6e7f8a9b',
            name: 'Shop: last 90 days',
            url: 'https://app.example.com/r/Vq3X0aZ7c2JkR9mT4uWn8pLs1dYb6eHf5gQo2iCv7xA',
            siteIds: ['8f14e45f-ceea-4e7a-a2f6-0c3e5d7b9a12'],
            period: { preset: 'last_90_days' },
            expiresAt: '2027-01-31T00:00:00.000Z',
            hasPassword: true,
            views: 0,
            lastViewedAt: null,
            createdAt: '2026-03-02T09:30:00.000Z',
          },
        ],
        nextCursor: null,
      },
    },
  },
  'PATCH /api/v1/report-links/:id': {
    params: { id: ID.reportLink },
    body: { name: 'Shop: year to date', period: { preset: 'year_to_date' }, password: null },
    responses: {
      200: {
        ...{
          id: '0193a4c2-7b1d-7e2f-8a3b-4c5d6e7f8a9b',
          name: 'Shop: last 90 days',
          url: 'https://app.example.com/r/Vq3X0aZ7c2JkR9mT4uWn8pLs1dYb6eHf5gQo2iCv7xA',
          siteIds: ['8f14e45f-ceea-4e7a-a2f6-0c3e5d7b9a12'],
          period: { preset: 'last_90_days' },
          expiresAt: '2027-01-31T00:00:00.000Z',
          hasPassword: true,
          views: 0,
          lastViewedAt: null,
          createdAt: '2026-03-02T09:30:00.000Z',
        },
        name: 'Shop: year to date',
        period: { preset: 'year_to_date' },
        hasPassword: false,
      },
    },
    errors: [404],
  },
  'DELETE /api/v1/report-links/:id': {
    params: { id: ID.reportLink },
    responses: { 204: null },
    errors: [404],
  },
  'GET /api/v1/public/reports/:token': {
    params: { token: EXAMPLE_VALUES.reportToken },
    responses: {
      200: {
        branding: {
          name: 'Acme SEO',
          displayName: 'Acme SEO',
          primaryColor: '#1f6feb',
          reportTitle: null,
          logoUrl: null,
        },
        name: 'Shop: March',
        period: { from: '2026-03-01', to: '2026-03-31' },
        sites: [
          { id: '8f14e45f-ceea-4e7a-a2f6-0c3e5d7b9a12', name: 'Shop', domain: 'shop.example.com' },
        ],
        report: {
          ...SHARED_SITE_REPORT,
          groupBy: 'day',
          series: [],
          comparison: {
            from: '2026-01-29',
            to: '2026-02-28',
            totals: {
              ...SHARED_FIGURES,
              revenue: 200000,
              value: 200000,
              cost: 0,
              profit: 200000,
              roi: null,
              sessions: 12,
              coverage: { days: 31, daysWithData: 1 },
            },
          },
        },
        siteReport: SHARED_SITE_REPORT,
        annotations: [
          {
            id: '01a24da2-7a10-7c1e-9d2b-3f4e5a6b7c8d',
            siteId: '8f14e45f-ceea-4e7a-a2f6-0c3e5d7b9a12',
            date: '2026-03-12',
            title: 'New category pages',
            note: null,
            source: 'manual',
            serviceId: null,
            createdAt: '2026-03-12T08:00:00.000Z',
          },
        ],
      },
    },
    errors: [401, 404],
  },
  'POST /api/v1/public/reports/:token/unlock': {
    params: { token: EXAMPLE_VALUES.reportToken },
    body: { password: 'plum tree 42' },
    responses: { 204: null },
    errors: [401, 404, 429],
  },

  // Billing
  'GET /api/v1/billing/plans': {
    // The catalog itself: the example is what the route answers.
    responses: { 200: { data: PLANS } },
  },

  'POST /api/v1/billing/checkout': {
    body: { plan: 'pro' },
    responses: {
      201: {
        id: 'cs_test_9MHC7apEXDLHNFX0D2deG3V',
        url: 'http://localhost:3000/sandbox/stripe/checkout/cs_test_9MHC7apEXDLHNFX0D2deG3V',
      },
    },
  },
  'POST /api/v1/billing/portal': {
    responses: {
      200: { url: 'http://localhost:3000/sandbox/stripe/portal/bps_dymHdulRiScHBeoL1BHWIQV' },
    },
  },
  'GET /api/v1/billing/subscription': {
    responses: {
      200: {
        plan: 'free',
        status: 'none',
        currentPeriodEnd: null,
        cancelAtPeriodEnd: false,
        subscribedPlan: null,
        subscriptionId: null,
        pastDue: false,
        graceEndsAt: null,
      },
    },
  },
  'GET /api/v1/billing/invoices': {
    query: { limit: 50 },
    responses: { 200: { data: [], nextCursor: null } },
  },
  'GET /api/v1/billing/webhook-events': {
    query: { status: 'dead' },
    responses: { 200: { data: [], nextCursor: null } },
  },
  'POST /api/v1/billing/webhook-events/:id/replay': {
    params: { id: ID.stripeEvent },
    responses: {
      202: {
        id: 'evt_1QExampleDeadEvent0001',
        type: 'customer.subscription.updated',
        status: 'pending',
        attempts: 0,
        lastError: null,
        source: 'webhook',
        createdAt: '2026-03-02T09:15:51.006Z',
        receivedAt: '2026-03-02T09:15:50.992Z',
        processedAt: null,
      },
    },
  },
  'POST /api/v1/billing/webhooks/stripe': {
    body: {
      id: 'evt_1QExampleWebhook0001',
      object: 'event',
      api_version: '2025-03-31.basil',
      created: 1767225600,
      livemode: false,
      type: 'customer.subscription.updated',
      data: {
        object: { id: 'sub_1QExample0001', object: 'subscription', customer: 'cus_QExample0001' },
      },
    },
    responses: { 200: { received: true, id: 'evt_1QExampleWebhook0001', duplicate: false } },
  },

  // Audit log
  'GET /api/v1/audit-logs': {
    query: { action: 'site.*', limit: 50 },
    responses: {
      200: {
        data: [
          {
            id: '60dbb15b-c2dd-48c3-921b-fc29adc50d6d',
            seq: 1,
            occurredAt: '2026-03-02T09:15:52.328Z',
            actor: {
              type: 'user',
              id: '5d2c9e1a-7b3f-4a8e-9c6d-2e1f0a9b8c71',
              label: 'sam@agency.example',
            },
            action: 'tenant.created',
            target: { type: 'tenant', id: 'b3e1f7a2-4c5d-4e6f-8a7b-1c2d3e4f5a60' },
            changes: {
              name: { to: 'Acme SEO', from: null },
              subdomain: { to: 'acme-seo', from: null },
            },
            ip: '127.0.0.1',
            userAgent: 'node',
            requestId: 'ab3ca002-f920-48e6-9d30-e7324ff85379',
          },
        ],
        nextCursor: null,
      },
    },
  },
  'GET /api/v1/audit-logs/export': {
    query: { format: 'ndjson', from: '2026-01-01' },
    responses: {
      200: '{"id":"60dbb15b-c2dd-48c3-921b-fc29adc50d6d","seq":1,"occurredAt":"2026-03-02T09:15:52.328Z","actor":{"type":"user","id":"5d2c9e1a-7b3f-4a8e-9c6d-2e1f0a9b8c71","label":"sam@agency.example"},"action":"tenant.created","target":{"type":"tenant","id":"b3e1f7a2-4c5d-4e6f-8a7b-1c2d3e4f5a60"},"changes":{"name":{"to":"Acme SEO","from":null},"subdomain":{"to":"acme-seo","from":null}},"ip":"127.0.0.1","userAgent":"node","requestId":"ab3ca002-f920-48e6-9d30-e7324ff85379","prevHash":"0000000000000000000000000000000000000000000000000000000000000000","hash":"d3ea477ab3ebcc2ed179dbd9186612c075facbd9759d06de7c5f17d16c8c9707"}\n',
    },
  },
  'GET /api/v1/audit-logs/verify': {
    responses: { 200: { valid: true, checked: 2, firstInvalidSeq: null } },
  },

  // Google connections
  'POST /api/v1/integrations/google': {
    responses: {
      201: {
        authorizationUrl:
          'https://accounts.google.com/o/oauth2/v2/auth?access_type=offline&prompt=consent&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fwebmasters.readonly%20https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fanalytics.readonly%20openid%20email&state=b3e1f7a2-4c5d-4e6f-8a7b-1c2d3e4f5a60.Xk3mP9qR2sT5vW8yZ1aC4dF7gH0jL3nQ6tV9xB2eE5h&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&response_type=code&client_id=1234567890-abc.apps.googleusercontent.com&redirect_uri=https%3A%2F%2Fapp.example.com%2Fapi%2Fv1%2Fintegrations%2Fgoogle%2Fcallback',
      },
    },
    errors: [503],
  },
  'GET /api/v1/integrations/google/callback': {
    query: { code: EXAMPLE_VALUES.googleCode, state: EXAMPLE_VALUES.googleState },
    responses: { 303: null },
    errors: [502, 503],
  },
  'GET /api/v1/integrations': {
    query: { limit: 50 },
    responses: {
      200: {
        data: [
          {
            id: '2a7d4c1e-9b3f-4e8a-b6c5-0d1e2f3a4b5c',
            provider: 'google',
            account: 'seo@agency.example',
            status: 'active',
            lastError: null,
            createdAt: '2026-03-02T09:15:40.112Z',
          },
        ],
        nextCursor: null,
      },
    },
  },
  'DELETE /api/v1/integrations/:id': {
    params: { id: ID.integration },
    responses: { 204: null },
    errors: [502, 503],
  },
  'GET /api/v1/integrations/:id/properties': {
    params: { id: ID.integration },
    responses: {
      200: {
        searchConsole: [
          { siteUrl: 'https://www.example.com/', permissionLevel: 'siteOwner' },
          { siteUrl: 'sc-domain:example.org', permissionLevel: 'siteFullUser' },
        ],
        analytics: [
          { propertyId: '310000001', displayName: 'example.com – GA4', account: 'Demo Agency' },
        ],
      },
    },
    errors: [409, 502, 503],
  },
  'PUT /api/v1/sites/:id/sources': {
    params: { id: ID.site },
    body: {
      integrationId: ID.integration,
      searchConsoleProperty: 'https://www.example.com/',
      analyticsPropertyId: '310000001',
      organicOnly: true,
    },
    responses: {
      200: {
        siteId: '8f14e45f-ceea-4e7a-a2f6-0c3e5d7b9a12',
        integrationId: '2a7d4c1e-9b3f-4e8a-b6c5-0d1e2f3a4b5c',
        searchConsoleProperty: 'https://www.example.com/',
        analyticsPropertyId: '310000001',
        organicOnly: true,
        createdAt: '2026-03-02T09:16:02.410Z',
        updatedAt: '2026-03-02T09:16:02.410Z',
      },
    },
    errors: [409, 502, 503],
  },
  'GET /api/v1/sites/:id/sources': {
    params: { id: ID.site },
    responses: {
      200: {
        siteId: '8f14e45f-ceea-4e7a-a2f6-0c3e5d7b9a12',
        integrationId: '2a7d4c1e-9b3f-4e8a-b6c5-0d1e2f3a4b5c',
        searchConsoleProperty: 'https://www.example.com/',
        analyticsPropertyId: null,
        organicOnly: true,
        createdAt: '2026-03-02T09:16:02.410Z',
        updatedAt: '2026-03-02T09:16:02.410Z',
      },
    },
  },
  'DELETE /api/v1/sites/:id/sources': { params: { id: ID.site }, responses: { 204: null } },
  'POST /api/v1/sites/:id/sync': {
    params: { id: ID.site },
    body: { from: '2026-01-01', to: '2026-01-31' },
    responses: {
      202: {
        status: 'queued',
        progress: { done: 0, total: 31 },
        lastSyncedAt: null,
        syncedThrough: null,
        lastError: null,
      },
    },
    errors: [409],
  },
  'GET /api/v1/sites/:id/sync': {
    params: { id: ID.site },
    responses: {
      200: {
        status: 'running',
        progress: { done: 243, total: 485 },
        lastSyncedAt: '2026-03-01T04:00:12.000Z',
        syncedThrough: '2025-08-31',
        lastError: null,
      },
    },
  },
  'GET /api/v1/sites/:id/search-terms': {
    params: { id: ID.site },
    query: { from: '2026-01-01', to: '2026-01-31', dimension: 'query', limit: 100 },
    responses: {
      200: {
        from: '2026-01-01',
        to: '2026-01-31',
        dimension: 'query',
        data: [
          {
            key: 'seo agency pricing',
            clicks: 412,
            impressions: 9310,
            ctr: 0.0443,
            position: 4.18,
          },
          { key: 'roi report template', clicks: 97, impressions: 5120, ctr: 0.0189, position: 8.7 },
        ],
      },
    },
  },
};
