import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessFor } from '../../src/server/http/access-policy.ts';
import { routeKey, type AnyRoute } from '../../src/server/http/define-route.ts';
import {
  EXAMPLE_IDS,
  EXAMPLE_VALUES,
  OPERATION_EXAMPLES,
  type OperationExample,
} from '../../src/server/http/openapi-examples.ts';
import { allRoutes } from '../../src/server/routes/index.ts';
import { Problem } from '../../src/shared/schemas/common.ts';
import { buildTenant, createApiKey, signUp, uniq } from '../support/factories.ts';
import { sandboxConsent, sandboxIntegration } from '../support/google-server.ts';
import { passwordResetToken } from '../support/mail.ts';
import { samplePng } from '../support/reporting-share-samples.ts';
import { ROUTE_SAMPLES, sampleSite } from '../support/route-samples.ts';
import type { TestClient } from '../support/test-client.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Every operation of the served OpenAPI document has a request example that the app really
 * answers with the documented success status and a body its response schema accepts, and a
 * response example that schema accepts too. Placeholders (EXAMPLE_IDS, EXAMPLE_VALUES) are
 * replaced by objects built in a fresh workspace per operation.
 */
let app: TestApp;
let served: { paths: Record<string, Record<string, Record<string, unknown>>> };
beforeAll(async () => {
  app = await startTestApp();
  served = (await app.client().get('/api/v1/openapi.json')).body;
});
afterAll(async () => {
  await app.close();
});

const routes = allRoutes();
const byKey = new Map(routes.map((r) => [routeKey(r), r]));
const documentedKey = (path: string, method: string) =>
  `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`;

/** Replaces every placeholder string in a JSON-able value. */
function substitute<T>(value: T, map: Map<string, string>): T {
  let json = JSON.stringify(value);
  if (json === undefined) return value;
  for (const [from, to] of map) json = json.replaceAll(from, to);
  return JSON.parse(json) as T;
}

/** The concrete ids of a sample request's path, by the route's parameter names. */
function paramsOf(routePath: string, concrete: string): Record<string, string> {
  const names = routePath.split('/');
  const values = concrete.split('?')[0]!.split('/');
  const out: Record<string, string> = {};
  names.forEach((n, i) => {
    if (n.startsWith(':')) out[n.slice(1)] = decodeURIComponent(values[i]!);
  });
  return out;
}

interface Prepared {
  client: TestClient;
  apiKey?: string;
  tenant?: string;
  placeholders: Map<string, string>;
}

/**
 * Builds a workspace and whatever the example names: the route sample (route-samples.ts) makes
 * the objects of its path, and the example's placeholders are mapped onto them.
 */
async function prepare(route: AnyRoute, example: OperationExample): Promise<Prepared> {
  const key = routeKey(route);
  const access = accessFor(key);
  const placeholders = new Map<string, string>([
    [EXAMPLE_VALUES.email, `jane-${uniq()}@example.test`],
    [EXAMPLE_VALUES.subdomain, `acme-${uniq()}`],
  ]);
  const tenant = await buildTenant(app);
  placeholders.set(EXAMPLE_IDS.tenant, tenant.id);
  placeholders.set(EXAMPLE_IDS.user, tenant.owner.user.id);
  const sample = ROUTE_SAMPLES[key];
  if (sample) {
    const built = await sample.build(app, tenant);
    const real = paramsOf(route.path, built.path);
    for (const [name, placeholder] of Object.entries(example.params ?? {})) {
      if (real[name]) placeholders.set(placeholder, real[name]);
    }
  }
  const request = JSON.stringify([example.params, example.query, example.body]);
  if (request.includes(EXAMPLE_IDS.site) && !placeholders.has(EXAMPLE_IDS.site)) {
    placeholders.set(EXAMPLE_IDS.site, await sampleSite(tenant));
  }

  if (request.includes(EXAMPLE_IDS.integration) && !placeholders.has(EXAMPLE_IDS.integration)) {
    placeholders.set(EXAMPLE_IDS.integration, await sandboxIntegration(app, tenant));
  }
  if (key === 'GET /api/v1/integrations/google/callback') {
    // Code and state of a connection this user started and the app's Google sandbox approved.
    const back = new URL(await sandboxConsent(app, tenant), app.baseUrl).searchParams;
    placeholders.set(EXAMPLE_VALUES.googleCode, back.get('code')!);
    placeholders.set(EXAMPLE_VALUES.googleState, back.get('state')!);
  }
  if (key === 'POST /api/v1/auth/login') {
    const res = await app.client().post('/api/v1/auth/signup', {
      email: placeholders.get(EXAMPLE_VALUES.email),
      password: (example.body as { password: string }).password,
      name: 'Jane Doe',
    });
    expect(res.status, res.text).toBe(201);
    return { client: app.client(), placeholders };
  }
  if (key === 'POST /api/v1/auth/password-reset/confirm') {
    placeholders.set(
      EXAMPLE_VALUES.passwordResetToken,
      await passwordResetToken(app, tenant.owner.user.email),
    );
    return { client: app.client(), placeholders };
  }
  if (key === 'POST /api/v1/invitations/accept' || key === 'POST /api/v1/invitations/lookup') {
    const invitee = await signUp(app);
    const invite = await tenant.owner.client.post('/api/v1/invitations', {
      email: invitee.user.email,
      role: 'member',
    });
    expect(invite.status, invite.text).toBe(201);
    placeholders.set(EXAMPLE_VALUES.invitationToken, invite.body.token);
    return { client: invitee.client, placeholders };
  }
  if (access === 'public') return { client: app.client(), placeholders };
  if (access === 'signed_in' || key === 'POST /api/v1/auth/logout') {
    tenant.owner.client.tenant = undefined;
    return { client: tenant.owner.client, placeholders };
  }
  // Integrators script the API with keys: tenant-scoped examples are sent with one.
  return { client: app.client(), apiKey: await createApiKey(tenant, 'admin'), placeholders };
}

async function send(route: AnyRoute, example: OperationExample, p: Prepared) {
  const params = substitute(example.params ?? {}, p.placeholders);
  const query = substitute(example.query ?? {}, p.placeholders);
  const body = substitute(example.body, p.placeholders);
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    for (const v of Array.isArray(value) ? value : [value]) search.append(name, String(v));
  }
  const path =
    route.path.replace(/:(\w+)/g, (_m, name: string) => encodeURIComponent(params[name] ?? '')) +
    (search.size ? `?${search}` : '');
  if (routeKey(route) === 'POST /api/v1/billing/webhooks/stripe') {
    const payload = JSON.stringify(body);
    const signature = Stripe.webhooks.generateTestHeaderString({
      payload,
      secret: app.services.billing.webhookSecret!,
    });
    return p.client.request(route.method.toUpperCase(), path, {
      raw: payload,
      contentType: 'application/json',
      headers: { 'stripe-signature': signature },
    });
  }
  if (routeKey(route) === 'PUT /api/v1/tenant/logo') {
    // An image is bytes: the example's body only names them.
    return fetch(app.baseUrl + path, {
      method: 'PUT',
      headers: { authorization: `Bearer ${p.apiKey}`, 'content-type': 'image/png' },
      body: new Uint8Array(samplePng()),
    }).then(async (res) => {
      const text = await res.text();
      return { status: res.status, headers: res.headers, text, body: JSON.parse(text) };
    });
  }
  const options: { body?: unknown; raw?: string; contentType?: string } = {
    ...(body === undefined
      ? {}
      : example.bodyType && example.bodyType !== 'application/json'
        ? { raw: String(body), contentType: example.bodyType }
        : { body }),
  };
  if (!p.apiKey) return p.client.request(route.method.toUpperCase(), path, options);
  // With a key, plain fetch: the test client parses any *json body whole, NDJSON included.
  const res = await fetch(app.baseUrl + path, {
    method: route.method.toUpperCase(),
    headers: {
      authorization: `Bearer ${p.apiKey}`,
      ...(body === undefined ? {} : { 'content-type': options.contentType ?? 'application/json' }),
    },
    ...(body === undefined ? {} : { body: options.raw ?? JSON.stringify(body) }),
  });
  const text = await res.text();
  const json = /application\/(problem\+)?json/.test(res.headers.get('content-type') ?? '');
  return {
    status: res.status,
    headers: res.headers,
    text,
    body: json && text ? JSON.parse(text) : text,
  };
}

/** Checks a body against the route's schema for `status`; non-JSON bodies by media type. */
function checkBody(route: AnyRoute, status: number, body: unknown, res?: { headers: Headers }) {
  const spec = route.responses[status];
  expect(spec, `status ${status} is documented`).toBeDefined();
  if (spec!.schema) {
    const parsed = spec!.schema.safeParse(body);
    expect(parsed.success, JSON.stringify(parsed.error?.issues ?? [], null, 1)).toBe(true);
  } else if (spec!.contentType) {
    expect(typeof body).toBe('string');
    if (res) expect(res.headers.get('content-type')).toContain(spec!.contentType);
  } else {
    expect(body === null || body === '' || body === undefined, String(body)).toBe(true);
  }
}

describe('OpenAPI examples', () => {
  it('the served document lists exactly the app’s operations', () => {
    const documented = Object.entries(served.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => documentedKey(path, m)),
    );
    expect(documented.sort()).toEqual([...byKey.keys()].sort());
  });

  it('every operation has an example, a summary, its roles and problem+json errors', () => {
    expect([...byKey.keys()].filter((k) => !OPERATION_EXAMPLES[k])).toEqual([]);
    expect(Object.keys(OPERATION_EXAMPLES).filter((k) => !byKey.has(k))).toEqual([]);
    for (const [path, ops] of Object.entries(served.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const where = documentedKey(path, method);
        expect(op.summary, where).toBeTruthy();
        expect(op['x-roles'], where).toBeDefined();
        expect(op.description, where).toMatch(/Access: /);
        const responses = op.responses as Record<string, { content?: Record<string, unknown> }>;
        expect(Object.keys(responses), where).toContain('400');
        const limited = responses['429'] as { headers?: Record<string, unknown> } | undefined;
        if (limited) expect(limited.headers?.['Retry-After'], `${where} 429`).toBeDefined();
        for (const [status, response] of Object.entries(responses)) {
          if (Number(status) < 400) continue;
          const media = response.content?.['application/problem+json'] as
            { example?: unknown } | undefined;
          expect(media, `${where} ${status}`).toBeDefined();
          expect(Problem.safeParse(media!.example).success, `${where} ${status}`).toBe(true);
        }
      }
    }
  });

  describe.each([...byKey.keys()])('%s', (key) => {
    it('the request example gets the documented answer, and the response example fits', async () => {
      const route = byKey.get(key)!;
      const example = OPERATION_EXAMPLES[key];
      expect(example, `an example for ${key} in openapi-examples.ts`).toBeDefined();
      const success = Object.keys(route.responses)
        .map(Number)
        .filter((s) => s < 400);
      const prepared = await prepare(route, example!);
      const res = await send(route, example!, prepared);
      expect(success, `${res.status} ${res.text.slice(0, 500)}`).toContain(res.status);
      const json = /application\/(problem\+)?json/.test(res.headers.get('content-type') ?? '');
      const body = json && res.text ? res.body : res.text || null;
      checkBody(route, res.status, body, res);

      const statuses = Object.keys(example!.responses).map(Number);
      expect(statuses.sort(), 'a response example per success status').toEqual(success.sort());
      for (const status of statuses) checkBody(route, status, example!.responses[status]);

      // The served document carries the example.
      const op = served.paths[route.path.replace(/:(\w+)/g, '{$1}')]![route.method]!;
      const documented = (op.responses as Record<string, { content?: Record<string, unknown> }>)[
        String(res.status)
      ]!;
      if (documented.content) {
        const media = Object.values(documented.content)[0] as { example?: unknown };
        expect(media.example).toEqual(example!.responses[res.status]);
      }
    });
  });
});
