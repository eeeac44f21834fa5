import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LOGO_BYTES } from '../../src/shared/schemas/tenants.ts';
import { addMember, buildTenant } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { auditActions, setPlan } from '../roi/helpers.ts';
import { gifBytes, htmlBytes, jpegBytes, pngImage, svgBytes, webpBytes } from './images.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

describe('branding', () => {
  it('sets the display name and colour; refuses a linked logo and a bad colour', async () => {
    const t = await buildTenant(app, 'Agency Ltd');
    const c = t.owner.client;
    const ok = await c.patch('/api/v1/tenant', {
      branding: { displayName: 'Bright SEO', primaryColor: '#aa3300' },
    });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.branding).toEqual({
      displayName: 'Bright SEO',
      primaryColor: '#aa3300',
      reportTitle: null,
      logoUrl: null,
    });
    for (const branding of [
      { primaryColor: 'red' },
      { logoUrl: 'https://cdn.example.com/logo.png' },
      { logoUrl: 'javascript:alert(1)' },
    ]) {
      const bad = await c.patch('/api/v1/tenant', { branding });
      expect(bad.status, JSON.stringify(branding)).toBe(400);
    }
    expect((await c.get('/api/v1/tenant')).body.branding.primaryColor).toBe('#aa3300');
  });

  it('accepts PNG, JPEG and WebP checked by content, serves it publicly, removes it', async () => {
    const t = await buildTenant(app);
    const c = t.owner.client;
    for (const [type, bytes] of [
      ['image/jpeg', jpegBytes()],
      ['image/webp', webpBytes()],
      ['image/png', pngImage()],
    ] as const) {
      const put = await c.request('PUT', '/api/v1/tenant/logo', { raw: bytes, contentType: type });
      expect(put.status, `${type}: ${put.text}`).toBe(200);
      expect(put.body).toMatchObject({ contentType: type, bytes: bytes.length });
    }
    const settings = await c.get('/api/v1/tenant');
    const logoUrl: string = settings.body.branding.logoUrl;
    expect(logoUrl).toMatch(
      new RegExp(`^/api/v1/tenant/logo\\?tenant=${t.subdomain}&v=[0-9a-f]{16}$`),
    );

    // Public: no session, by ?tenant=, X-Tenant-ID or host.
    const anonymous = app.client();
    const byUrl = await fetch(app.baseUrl + logoUrl);
    expect(byUrl.status).toBe(200);
    expect(byUrl.headers.get('content-type')).toBe('image/png');
    expect(byUrl.headers.get('x-content-type-options')).toBe('nosniff');
    expect(byUrl.headers.get('cache-control')).toContain('immutable');
    expect(Buffer.from(await byUrl.arrayBuffer()).equals(pngImage())).toBe(true);
    const byHeader = await anonymous.get('/api/v1/tenant/logo', { tenant: t.id });
    expect(byHeader.status).toBe(200);
    expect(byHeader.headers.get('cache-control')).toBe('public, max-age=300');
    const etag = byHeader.headers.get('etag')!;
    const again = await anonymous.get('/api/v1/tenant/logo', {
      tenant: t.subdomain,
      headers: { 'if-none-match': etag },
    });
    expect(again.status).toBe(304);

    // Another workspace without a logo and an unknown one: the same 404.
    const other = await buildTenant(app);
    const none = await anonymous.get(`/api/v1/tenant/logo?tenant=${other.subdomain}`);
    const unknown = await anonymous.get('/api/v1/tenant/logo?tenant=no-such-workspace');
    expect(none.status).toBe(404);
    expect({ ...none.body, instance: undefined }).toEqual({ ...unknown.body, instance: undefined });

    const del = await c.delete('/api/v1/tenant/logo');
    expect(del.status).toBe(204);
    expect((await c.get('/api/v1/tenant')).body.branding.logoUrl).toBeNull();
    expect((await anonymous.get(`/api/v1/tenant/logo?tenant=${t.subdomain}`)).status).toBe(404);
    expect((await c.delete('/api/v1/tenant/logo')).status).toBe(404);
    const actions = await auditActions(app, t.id);
    expect(actions.filter((a) => a === 'tenant.logo_updated')).toHaveLength(3);
    expect(actions).toContain('tenant.logo_removed');
  });

  it('refuses SVG, HTML, GIF and mislabelled files (400) and a logo over 256 KiB (413)', async () => {
    const t = await buildTenant(app);
    const c = t.owner.client;
    const attempts: [string, Buffer, string][] = [
      ['svg', svgBytes(), 'image/svg+xml'],
      ['svg sent as png', svgBytes(), 'image/png'],
      ['html', htmlBytes(), 'text/html'],
      ['html sent as jpeg', htmlBytes(), 'image/jpeg'],
      ['gif', gifBytes(), 'image/gif'],
      ['gif sent as webp', gifBytes(), 'image/webp'],
      ['png sent as jpeg', pngImage(), 'image/jpeg'],
      ['empty', Buffer.alloc(0), 'image/png'],
    ];
    for (const [what, bytes, type] of attempts) {
      const res = await c.request('PUT', '/api/v1/tenant/logo', { raw: bytes, contentType: type });
      expect(res.status, `${what}: ${res.text}`).toBe(400);
    }
    const exact = Buffer.concat([pngImage(), Buffer.alloc(MAX_LOGO_BYTES - pngImage().length)]);
    const fits = await c.request('PUT', '/api/v1/tenant/logo', {
      raw: exact,
      contentType: 'image/png',
    });
    expect(fits.status, fits.text).toBe(200);
    const over = await c.request('PUT', '/api/v1/tenant/logo', {
      raw: Buffer.concat([exact, Buffer.from([0])]),
      contentType: 'image/png',
    });
    expect(over.status).toBe(413);
    expect(over.headers.get('content-type')).toContain('application/problem+json');
    const logo = await app.client().get(`/api/v1/tenant/logo?tenant=${t.subdomain}`);
    expect(Buffer.from(logo.text, 'latin1').length).toBeGreaterThan(0);
    expect(logo.status).toBe(200);
  });

  it('is managed by owners and admins only; another workspace cannot touch it', async () => {
    const t = await buildTenant(app);
    await setPlan(app, t, 'agency');
    const member = await addMember(app, t, 'member');
    const client = await addMember(app, t, 'client');
    for (const who of [member, client]) {
      const put = await who.client.request('PUT', '/api/v1/tenant/logo', {
        raw: pngImage(),
        contentType: 'image/png',
      });
      expect(put.status).toBe(403);
      expect((await who.client.delete('/api/v1/tenant/logo')).status).toBe(403);
    }
    const stranger = await buildTenant(app);
    const foreign = await stranger.owner.client.request('PUT', '/api/v1/tenant/logo', {
      raw: pngImage(),
      contentType: 'image/png',
      tenant: t.id,
    });
    expect(foreign.status).toBe(404);
    expect((await app.client().get(`/api/v1/tenant/logo?tenant=${t.subdomain}`)).status).toBe(404);
  });
});
