import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildQuery, readCsrfToken, request, setCurrentTenant } from './http.ts';
import { ApiError, errorsFor, toProblem, unclaimedErrors } from './problem.ts';

describe('the API client', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    setCurrentTenant(null);
  });

  it('reads the csrf_token cookie', () => {
    expect(readCsrfToken('a=1; csrf_token=abc%3D; b=2')).toBe('abc=');
    expect(readCsrfToken('a=1')).toBeNull();
  });

  it('builds queries, repeating array values and skipping empty ones', () => {
    expect(buildQuery({ from: '2026-01-01', siteId: ['a', 'b'], empty: '', none: undefined })).toBe(
      '?from=2026-01-01&siteId=a&siteId=b',
    );
    expect(buildQuery({})).toBe('');
  });

  it('sends the CSRF token on unsafe requests and names the workspace', async () => {
    vi.stubGlobal('document', { cookie: 'csrf_token=tok123' });
    const calls: { url: string; init: RequestInit }[] = [];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response(JSON.stringify({ ok: true }), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    });
    setCurrentTenant('acme');
    await request('/sites', { method: 'POST', body: { name: 'x' } });
    await request('/sites');
    await request('/me', { noTenant: true });
    const headers = calls.map((c) => c.init.headers as Record<string, string>);
    expect(headers[0]).toMatchObject({
      'X-CSRF-Token': 'tok123',
      'X-Tenant-ID': 'acme',
      'Content-Type': 'application/json',
    });
    expect(calls[0]!.init.body).toBe('{"name":"x"}');
    expect(headers[1]!['X-CSRF-Token']).toBeUndefined();
    expect(headers[2]!['X-Tenant-ID']).toBeUndefined();
    expect(calls[0]!.url).toBe('/api/v1/sites');
  });

  it('turns a problem+json answer into an ApiError with its field errors', async () => {
    vi.stubGlobal('document', { cookie: '' });
    vi.stubGlobal(
      'fetch',
      async () =>
        new Response(
          JSON.stringify({
            type: '/problems/validation',
            title: 'Invalid request',
            status: 400,
            detail: 'The request did not validate',
            errors: [{ path: 'domain', message: 'must be a domain such as example.com' }],
          }),
          { status: 400, headers: { 'content-type': 'application/problem+json' } },
        ),
    );
    const error = await request('/sites', { method: 'POST', body: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    const api = error as ApiError;
    expect(api.status).toBe(400);
    expect(errorsFor(api.fieldErrors, 'domain')).toEqual(['must be a domain such as example.com']);
    expect(errorsFor(api.fieldErrors, 'name')).toEqual([]);
  });

  it('reports a network failure as status 0', async () => {
    vi.stubGlobal('document', { cookie: '' });
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('fetch failed');
    });
    const error = (await request('/me').catch((e: unknown) => e)) as ApiError;
    expect(error.status).toBe(0);
    expect(error.problem.title).toBe('Network error');
  });
});

describe('problem documents', () => {
  it('accepts whatever a proxy sends', () => {
    expect(toProblem(502, 'Bad Gateway', '<html>oops</html>')).toMatchObject({
      status: 502,
      title: 'Bad Gateway',
    });
    expect(
      toProblem(402, '', {
        type: '/problems/plan-limit/sites',
        title: 'Plan limit reached',
        status: 402,
        limit: 'sites',
      }),
    ).toMatchObject({
      limit: 'sites',
    });
  });

  it('matches nested paths to their field, and keeps the rest for the summary', () => {
    const errors = [
      { path: 'branding.primaryColor', message: 'must be a colour' },
      { path: 'name', message: 'required' },
      { path: 'somethingElse', message: 'odd' },
    ];
    expect(errorsFor(errors, 'branding.primaryColor')).toEqual(['must be a colour']);
    expect(errorsFor(errors, 'branding')).toEqual(['must be a colour']);
    expect(unclaimedErrors(errors, ['name', 'branding'])).toEqual([
      { path: 'somethingElse', message: 'odd' },
    ]);
  });
});
