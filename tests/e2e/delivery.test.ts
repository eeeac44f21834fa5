import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from './support/app.ts';

/**
 * How the built web app is delivered, as `npm start` serves it: hashed assets cached for a year
 * and immutable, the page itself revalidated, everything compressed, and no source map public.
 */
describe('web app delivery', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('serves hashed assets immutable for a year, compressed, without source maps', async () => {
    const page = await fetch(`${app.baseUrl}/`, { headers: { 'accept-encoding': 'br' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const html = await page.text();
    const script = /<script[^>]+src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script, html).toBeDefined();

    const asset = await fetch(`${app.baseUrl}${script}`, {
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toMatch(/max-age=31536000/);
    expect(asset.headers.get('cache-control')).toMatch(/immutable/);
    expect(asset.headers.get('content-encoding')).toBe('gzip');
    const code = await asset.text();
    expect(code).not.toMatch(/sourceMappingURL/);

    expect((await fetch(`${app.baseUrl}${script}.map`)).status).toBe(404);
    // A missing asset is a 404, not the app's page with a year of caching.
    const missing = await fetch(`${app.baseUrl}/assets/nothing-here.js`);
    expect(missing.status).toBe(404);
  });
});
