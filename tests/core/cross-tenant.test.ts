import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS } from '../../src/server/http/access-policy.ts';
import { buildTenant, createApiKey, type TestTenant } from '../support/factories.ts';
import { ROUTE_SAMPLES, type SampleRequest } from '../support/route-samples.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import type { TestClient, TestResponse } from '../support/test-client.ts';

/**
 * Generated from the roles × routes table: every tenant-scoped route, called the way an attacker
 * would, with another tenant's header or another tenant's ids, is a 404 that looks exactly like
 * the 404 for something that does not exist.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

const tenantRoutes = Object.entries(ACCESS).filter(([, access]) => Array.isArray(access));
const UUID_GLOBAL = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

function call(
  client: TestClient,
  method: string,
  req: SampleRequest,
  options: { tenant?: string; apiKey?: string; path?: string },
) {
  return client.request(method, options.path ?? req.path, {
    body: req.body,
    raw: req.raw,
    contentType: req.contentType,
    tenant: options.tenant,
    apiKey: options.apiKey,
  });
}

/** A problem body without the parts that name the request (instance). */
const comparable = (res: TestResponse) => ({
  status: res.status,
  body: { ...res.body, instance: undefined },
});

describe('cross-tenant access is 404', () => {
  it('covers every tenant-scoped route with a sample', () => {
    expect(tenantRoutes.map(([k]) => k).filter((k) => !ROUTE_SAMPLES[k])).toEqual([]);
  });

  describe.each(tenantRoutes.filter(([k]) => ROUTE_SAMPLES[k]))('%s', (key) => {
    const method = key.split(' ')[0]!;
    const sample = ROUTE_SAMPLES[key]!;
    let victim: TestTenant;
    let attacker: TestTenant;
    let req: SampleRequest;

    beforeAll(async () => {
      [victim, attacker] = await Promise.all([
        buildTenant(app, 'Victim'),
        buildTenant(app, 'Attacker'),
      ]);
      req = await sample.build(app, victim);
    });

    it("naming the other tenant's id or subdomain is the same 404 as an unknown tenant", async () => {
      const byId = await call(attacker.owner.client, method, req, { tenant: victim.id });
      const bySub = await call(attacker.owner.client, method, req, { tenant: victim.subdomain });
      const unknown = await call(attacker.owner.client, method, req, { tenant: randomUUID() });
      expect(byId.status, byId.text).toBe(404);
      expect(comparable(byId)).toEqual(comparable(unknown));
      expect(comparable(bySub)).toEqual(comparable(unknown));
    });

    it('an API key of one tenant cannot name another', async () => {
      const key = await createApiKey(attacker, 'owner');
      const res = await call(app.client(), method, req, { apiKey: key, tenant: victim.id });
      expect(res.status, res.text).toBe(404);
    });

    it.runIf(sample.ownsObjects)(
      "the other tenant's ids are the same 404 as ids that do not exist",
      async () => {
        const foreign = await call(attacker.owner.client, method, req, { tenant: attacker.id });
        const missingPath = req.path.replace(UUID_GLOBAL, () => randomUUID());
        const missing = await call(attacker.owner.client, method, req, {
          tenant: attacker.id,
          path: missingPath,
        });
        expect(foreign.status, foreign.text).toBe(404);
        expect(comparable(foreign)).toEqual(comparable(missing));
      },
    );
  });
});
