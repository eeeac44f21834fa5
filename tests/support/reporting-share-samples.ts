import { deflateSync } from 'node:zlib';
import { expect } from 'vitest';
import type { RouteSample } from './route-samples.ts';
import { uniq, type TestTenant } from './factories.ts';

/** A 1×1 PNG (the logo routes check content, so the sample must be a real image). */
export function samplePng(): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = ~0;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return ~c >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const header = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.from([0, 31, 111, 235]))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

async function site(tenant: TestTenant): Promise<string> {
  const res = await tenant.owner.client.post(
    '/api/v1/sites',
    { name: `Site ${uniq()}`, domain: `${uniq()}.example.com` },
    { tenant: tenant.id },
  );
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

/** The password of the sample links (and of the unlock example in openapi-examples.ts). */
export const SAMPLE_LINK_PASSWORD = 'plum tree 42';

async function link(tenant: TestTenant, password?: string) {
  const res = await tenant.owner.client.post(
    '/api/v1/report-links',
    {
      name: `Link ${uniq()}`,
      siteIds: [await site(tenant)],
      period: { preset: 'last_90_days' },
      ...(password ? { password } : {}),
    },
    { tenant: tenant.id },
  );
  expect(res.status, res.text).toBe(201);
  const url: string = res.body.url;
  return { id: res.body.id as string, token: url.slice(url.lastIndexOf('/r/') + 3) };
}

async function uploadLogo(tenant: TestTenant) {
  const res = await tenant.owner.client.request('PUT', '/api/v1/tenant/logo', {
    raw: samplePng(),
    contentType: 'image/png',
    tenant: tenant.id,
  });
  expect(res.status, res.text).toBe(200);
}

/** Samples of the branding, share-link and public report routes (see route-samples.ts). */
export function REPORTING_SHARE_SAMPLES(): Record<string, RouteSample> {
  return {
    'PUT /api/v1/tenant/logo': {
      build: async () => ({
        path: '/api/v1/tenant/logo',
        raw: samplePng(),
        contentType: 'image/png',
      }),
      audit: 'tenant.logo_updated',
    },
    'DELETE /api/v1/tenant/logo': {
      build: async (_app, tenant) => {
        await uploadLogo(tenant);
        return { path: '/api/v1/tenant/logo' };
      },
      audit: 'tenant.logo_removed',
    },
    'GET /api/v1/tenant/logo': {
      build: async (_app, tenant) => {
        await uploadLogo(tenant);
        return { path: `/api/v1/tenant/logo?tenant=${tenant.id}` };
      },
    },
    'POST /api/v1/report-links': {
      build: async (_app, tenant) => ({
        path: '/api/v1/report-links',
        body: {
          name: 'Shop: last 90 days',
          siteIds: [await site(tenant)],
          period: { preset: 'last_90_days' },
        },
      }),
      audit: 'report_link.created',
      ownsObjects: false,
    },
    'GET /api/v1/report-links': { build: async () => ({ path: '/api/v1/report-links' }) },
    'PATCH /api/v1/report-links/:id': {
      build: async (_app, tenant) => ({
        path: `/api/v1/report-links/${(await link(tenant)).id}`,
        body: { name: `Renamed ${uniq()}` },
      }),
      audit: 'report_link.updated',
      ownsObjects: true,
    },
    'DELETE /api/v1/report-links/:id': {
      build: async (_app, tenant) => ({ path: `/api/v1/report-links/${(await link(tenant)).id}` }),
      audit: 'report_link.revoked',
      ownsObjects: true,
    },
    'GET /api/v1/public/reports/:token': {
      build: async (_app, tenant) => ({
        path: `/api/v1/public/reports/${(await link(tenant)).token}`,
      }),
    },
    'POST /api/v1/public/reports/:token/unlock': {
      build: async (_app, tenant) => ({
        path: `/api/v1/public/reports/${(await link(tenant, SAMPLE_LINK_PASSWORD)).token}/unlock`,
        body: { password: SAMPLE_LINK_PASSWORD },
      }),
    },
  };
}
