import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * A Google-compatible server: OAuth (authorize with a consent page, token with PKCE, revoke),
 * Search Console (`/webmasters/v3`), GA4 Data (`/v1beta/properties/{id}:runReport`) and Admin
 * (`/v1beta/accountSummaries`, `/v1beta/properties/{id}`), with Google's paths, response shapes,
 * paging and error bodies, over data generated deterministically from the property and the day.
 * The app serves it as its offline Google sandbox (`/sandbox/google`); tests start it on
 * 127.0.0.1 and script its failures (`faults`, `failRefresh`, `expireAccessTokens`).
 *
 * Tokens are stateless (HMAC-signed with this server's secret), so a sandbox restart keeps every
 * connection working; revocations and authorization codes live in memory.
 */

export interface FakeProperty {
  propertyId: string;
  displayName: string;
  account: string;
  currency: string;
  timeZone: string;
}

export interface FakeAccount {
  sub: string;
  email: string;
  sites: { siteUrl: string; permissionLevel: string }[];
  properties: FakeProperty[];
}

export interface FakeGoogleOptions {
  clientId: string;
  clientSecret: string;
  accounts?: FakeAccount[];
  /** Distinct queries (and pages) a property has each day. */
  termsPerDay?: number;
  /** Most GA4 account summaries per page (to exercise paging). */
  accountPageSize?: number;
  /** Answer the authorize endpoint with a redirect at once, as if the first account consented. */
  autoApprove?: boolean;
  /** Serve the consent page with this banner (the sandbox says it is one). */
  banner?: string;
  /** Signs tokens; a stable one keeps issued tokens valid across restarts (the sandbox). */
  signingSecret?: string;
}

export interface Fault {
  /** Matched against `METHOD path` (path without the query). */
  match: RegExp;
  status: number;
  retryAfter?: string;
  /** The error body; Google's `{error: {code, message, status}}` by default. */
  body?: unknown;
  /** How many requests it answers (default 1). */
  times?: number;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  at: number;
}

export const DEMO_ACCOUNT: FakeAccount = {
  sub: '108000000000000000001',
  email: 'demo.agency@example.com',
  sites: [
    { siteUrl: 'https://www.example.com/', permissionLevel: 'siteOwner' },
    { siteUrl: 'sc-domain:example.org', permissionLevel: 'siteFullUser' },
  ],
  properties: [
    {
      propertyId: '310000001',
      displayName: 'example.com – GA4',
      account: 'Demo Agency',
      currency: 'USD',
      timeZone: 'America/New_York',
    },
    {
      propertyId: '310000002',
      displayName: 'example.org – GA4',
      account: 'Demo Agency',
      currency: 'USD',
      timeZone: 'UTC',
    },
    {
      propertyId: '310000003',
      displayName: 'example.de – GA4',
      account: 'Demo Agency Europe',
      currency: 'EUR',
      timeZone: 'Europe/Berlin',
    },
  ],
};

const REQUIRED_SCOPES = [
  'https://www.googleapis.com/auth/webmasters.readonly',
  'https://www.googleapis.com/auth/analytics.readonly',
];
const ACCESS_TTL_S = 3599;
const CODE_TTL_MS = 5 * 60_000;
const MAX_ROW_LIMIT = 25_000;
const WORDS = [
  'seo',
  'agency',
  'roi',
  'report',
  'pricing',
  'audit',
  'local',
  'guide',
  'tools',
  'best',
];

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

const googleError = (code: number, message: string, status: string) =>
  new HttpError(code, { error: { code, message, status } });

/** 32-bit FNV-1a: cheap, stable across runs, good enough to spread generated numbers. */
function fnv(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const DAY_MS = 86_400_000;
const toMs = (d: string) => Date.parse(`${d}T00:00:00Z`);
const fromMs = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export class FakeGoogle {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly accounts: FakeAccount[];
  termsPerDay: number;
  accountPageSize: number;
  autoApprove: boolean;
  banner: string | undefined;
  /** Scripted failures, consumed in order. */
  faults: Fault[] = [];
  /** Accounts (by sub) whose refresh tokens Google now refuses with invalid_grant. */
  failRefresh = new Set<string>();
  /** Milliseconds each data request (Search Console, GA4) waits before it is answered. */
  delayMs = 0;
  /** Every request received (tests assert on paging and retries). */
  log: LoggedRequest[] = [];
  private readonly secret: Buffer;
  private readonly codes = new Map<
    string,
    {
      sub: string;
      clientId: string;
      redirectUri: string;
      challenge: string;
      scope: string;
      expiresAt: number;
    }
  >();
  private readonly revoked = new Set<string>();
  private accessNotBefore = 0;

  constructor(options: FakeGoogleOptions) {
    this.clientId = options.clientId;
    this.clientSecret = options.clientSecret;
    this.accounts = options.accounts ?? [DEMO_ACCOUNT];
    this.termsPerDay = options.termsPerDay ?? 25;
    this.accountPageSize = options.accountPageSize ?? 50;
    this.autoApprove = options.autoApprove ?? false;
    this.banner = options.banner;
    this.secret = options.signingSecret
      ? createHash('sha256').update(`fake-google-tokens:${options.signingSecret}`).digest()
      : randomBytes(32);
  }

  /** Access tokens issued until now answer 401 from now on (a refresh gets a fresh one). */
  expireAccessTokens(): void {
    this.accessNotBefore = Date.now() + 1;
  }

  /** Requests whose `METHOD path` matches. */
  requests(match: RegExp): LoggedRequest[] {
    return this.log.filter((r) => match.test(`${r.method} ${r.path}`));
  }

  /** The node:http handler (mountable under any path prefix: paths are read from `req.url`). */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    void this.serve(req, res).catch((error: unknown) => {
      const e = error instanceof HttpError ? error : googleError(500, 'Internal error', 'INTERNAL');
      if (res.headersSent) {
        res.end();
        return;
      }
      res.writeHead(e.status, { 'content-type': 'application/json; charset=utf-8', ...e.headers });
      res.end(JSON.stringify(e.body));
    });
  };

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://google.local');
    const path = decodeURIComponent(url.pathname);
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    const type = req.headers['content-type'] ?? '';
    let body: unknown = raw;
    if (/json/.test(type) && raw) body = JSON.parse(raw);
    else if (
      /x-www-form-urlencoded/.test(type) ||
      (method === 'POST' && raw && !/json/.test(type))
    ) {
      body = Object.fromEntries(new URLSearchParams(raw));
    }
    this.log.push({ method, path, query: url.searchParams, body, at: Date.now() });

    const key = `${method} ${path}`;
    const fault = this.faults.find((f) => f.match.test(key));
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.times <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
      const headers: Record<string, string> = fault.retryAfter
        ? { 'retry-after': fault.retryAfter }
        : {};
      throw new HttpError(
        fault.status,
        fault.body ?? {
          error: {
            code: fault.status,
            message: fault.status === 429 ? 'Quota exceeded.' : 'Backend Error',
            status: fault.status === 429 ? 'RESOURCE_EXHAUSTED' : 'INTERNAL',
          },
        },
        headers,
      );
    }

    if (path === '/o/oauth2/v2/auth' && method === 'GET') return this.authorize(url, res);
    if (path === '/o/oauth2/v2/auth/decide' && method === 'POST') {
      return this.decide(body as Record<string, string>, res);
    }
    if (path === '/token' && method === 'POST')
      return json(res, this.token(body as Record<string, string>));
    if (path === '/revoke' && method === 'POST') {
      const token = url.searchParams.get('token') ?? (body as Record<string, string>).token ?? '';
      return json(res, this.revoke(token));
    }

    const account = this.authenticate(req);
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (path === '/webmasters/v3/sites' && method === 'GET') {
      return json(res, { siteEntry: account.sites });
    }
    const sc = /^\/webmasters\/v3\/sites\/(.+)\/searchAnalytics\/query$/.exec(path);
    if (sc && method === 'POST') {
      const siteUrl = sc[1]!;
      if (!account.sites.some((s) => s.siteUrl === siteUrl)) {
        throw googleError(
          403,
          `User does not have sufficient permission for site '${siteUrl}'.`,
          'PERMISSION_DENIED',
        );
      }
      return json(res, this.searchAnalytics(siteUrl, body as Record<string, unknown>));
    }
    if (path === '/v1beta/accountSummaries' && method === 'GET') {
      return json(res, this.accountSummaries(account, url.searchParams));
    }
    const report = /^\/v1beta\/properties\/(\d+):runReport$/.exec(path);
    if (report && method === 'POST') {
      return json(
        res,
        this.runReport(this.property(account, report[1]!), body as Record<string, unknown>),
      );
    }
    const prop = /^\/v1beta\/properties\/(\d+)$/.exec(path);
    if (prop && method === 'GET') {
      const p = this.property(account, prop[1]!);
      return json(res, {
        name: `properties/${p.propertyId}`,
        displayName: p.displayName,
        currencyCode: p.currency,
        timeZone: p.timeZone,
        propertyType: 'PROPERTY_TYPE_ORDINARY',
      });
    }
    throw googleError(404, `Not found: ${method} ${path}`, 'NOT_FOUND');
  }

  // ------------------------------------------------------------------ OAuth

  private checkAuthorizeRequest(q: URLSearchParams | Map<string, string>) {
    const get = (k: string) => q.get(k) ?? '';
    if (get('client_id') !== this.clientId) throw new HttpError(400, { error: 'invalid_client' });
    if (get('response_type') !== 'code')
      throw new HttpError(400, { error: 'unsupported_response_type' });
    if (!/^https?:\/\//.test(get('redirect_uri')))
      throw new HttpError(400, { error: 'redirect_uri_mismatch' });
    if (get('code_challenge_method') !== 'S256' || get('code_challenge').length < 43) {
      throw new HttpError(400, {
        error: 'invalid_request',
        error_description: 'PKCE S256 required',
      });
    }
    const scopes = get('scope').split(' ');
    if (!REQUIRED_SCOPES.every((s) => scopes.includes(s))) {
      throw new HttpError(400, { error: 'invalid_scope' });
    }
  }

  private issueCode(sub: string, q: { get(k: string): string | null | undefined }): string {
    const code = `4/${randomBytes(24).toString('base64url')}`;
    this.codes.set(code, {
      sub,
      clientId: q.get('client_id') ?? '',
      redirectUri: q.get('redirect_uri') ?? '',
      challenge: q.get('code_challenge') ?? '',
      scope: q.get('scope') ?? '',
      expiresAt: Date.now() + CODE_TTL_MS,
    });
    return code;
  }

  private authorize(url: URL, res: ServerResponse): void {
    const q = url.searchParams;
    this.checkAuthorizeRequest(q);
    if (this.autoApprove) {
      const code = this.issueCode(this.accounts[0]!.sub, q);
      return redirect(
        res,
        withParams(q.get('redirect_uri')!, {
          code,
          state: q.get('state') ?? '',
          scope: q.get('scope') ?? '',
        }),
      );
    }
    const hidden = [
      'client_id',
      'redirect_uri',
      'response_type',
      'scope',
      'state',
      'code_challenge',
      'code_challenge_method',
    ]
      .map((k) => `<input type="hidden" name="${k}" value="${esc(q.get(k) ?? '')}">`)
      .join('');
    const choices = this.accounts
      .map(
        (a, i) =>
          `<div><input type="radio" id="acct-${i}" name="account" value="${esc(a.sub)}"${i === 0 ? ' checked' : ''}>
           <label for="acct-${i}">${esc(a.email)}</label></div>`,
      )
      .join('');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(
      page(
        'Sign in with Google (sandbox)',
        this.banner,
        `<h1>Allow ROI Spectrum to read your Google data</h1>
         <p>ROI Spectrum asks to:</p>
         <ul><li>See your Search Console data</li><li>See your Google Analytics data</li>
         <li>See your e-mail address</li></ul>
         <form method="post" action="auth/decide">
           ${hidden}
           <fieldset><legend>Choose an account</legend>${choices}</fieldset>
           <p><button type="submit" name="decision" value="allow">Allow</button>
              <button type="submit" name="decision" value="deny">Cancel</button></p>
         </form>`,
      ),
    );
  }

  private decide(form: Record<string, string>, res: ServerResponse): void {
    const q = new Map(Object.entries(form));
    this.checkAuthorizeRequest(q);
    const redirectUri = form.redirect_uri!;
    if (form.decision !== 'allow') {
      return redirect(
        res,
        withParams(redirectUri, { error: 'access_denied', state: form.state ?? '' }),
      );
    }
    const account = this.accounts.find((a) => a.sub === form.account);
    if (!account)
      throw new HttpError(400, {
        error: 'invalid_request',
        error_description: 'choose an account',
      });
    const code = this.issueCode(account.sub, q);
    redirect(
      res,
      withParams(redirectUri, { code, state: form.state ?? '', scope: form.scope ?? '' }),
    );
  }

  private sign(text: string): string {
    return createHmac('sha256', this.secret).update(text).digest('base64url').slice(0, 32);
  }

  private verify(token: string): string[] | null {
    const parts = token.split('.');
    const mac = parts.pop();
    if (!mac) return null;
    const expected = this.sign(parts.join('.'));
    if (mac.length !== expected.length || !timingSafeEqual(Buffer.from(mac), Buffer.from(expected)))
      return null;
    return parts;
  }

  private checkClient(form: Record<string, string>) {
    if (form.client_id !== this.clientId || form.client_secret !== this.clientSecret) {
      throw new HttpError(401, {
        error: 'invalid_client',
        error_description: 'The OAuth client was not found.',
      });
    }
  }

  private accessTokenFor(refresh: string, sub: string) {
    const payload = `ya29.${sub}.${Date.now()}.${createHash('sha256').update(refresh).digest('base64url').slice(0, 16)}`;
    return `${payload}.${this.sign(payload)}`;
  }

  private token(form: Record<string, string>) {
    this.checkClient(form);
    if (form.grant_type === 'authorization_code') {
      const entry = this.codes.get(form.code ?? '');
      this.codes.delete(form.code ?? '');
      const challenge = createHash('sha256')
        .update(form.code_verifier ?? '')
        .digest('base64url');
      if (
        !entry ||
        entry.expiresAt < Date.now() ||
        entry.clientId !== form.client_id ||
        entry.redirectUri !== form.redirect_uri ||
        !form.code_verifier ||
        challenge !== entry.challenge
      ) {
        throw new HttpError(400, { error: 'invalid_grant', error_description: 'Bad Request' });
      }
      const account = this.accounts.find((a) => a.sub === entry.sub)!;
      const payload = `1//rt.${account.sub}.${randomBytes(12).toString('base64url')}`;
      const refresh = `${payload}.${this.sign(payload)}`;
      const now = Math.floor(Date.now() / 1000);
      const idToken = [
        b64json({ alg: 'RS256', kid: 'sandbox', typ: 'JWT' }),
        b64json({
          iss: 'https://accounts.google.com',
          aud: this.clientId,
          azp: this.clientId,
          sub: account.sub,
          email: account.email,
          email_verified: true,
          iat: now,
          exp: now + ACCESS_TTL_S,
        }),
        this.sign('id-token'),
      ].join('.');
      return {
        access_token: this.accessTokenFor(refresh, account.sub),
        expires_in: ACCESS_TTL_S,
        refresh_token: refresh,
        scope: entry.scope,
        token_type: 'Bearer',
        id_token: idToken,
      };
    }
    if (form.grant_type === 'refresh_token') {
      const refresh = form.refresh_token ?? '';
      const parts = this.verify(refresh);
      const sub = parts?.[0] === '1//rt' ? parts[1] : undefined;
      if (!sub || this.revoked.has(refresh) || this.failRefresh.has(sub)) {
        throw new HttpError(400, {
          error: 'invalid_grant',
          error_description: 'Token has been expired or revoked.',
        });
      }
      return {
        access_token: this.accessTokenFor(refresh, sub),
        expires_in: ACCESS_TTL_S,
        scope: REQUIRED_SCOPES.join(' '),
        token_type: 'Bearer',
      };
    }
    throw new HttpError(400, { error: 'unsupported_grant_type' });
  }

  private revoke(token: string) {
    const parts = this.verify(token);
    if (!parts || this.revoked.has(token)) {
      throw new HttpError(400, {
        error: 'invalid_token',
        error_description: 'Token expired or revoked',
      });
    }
    this.revoked.add(token);
    return {};
  }

  /** The account of a request's bearer token, or Google's 401. */
  private authenticate(req: IncomingMessage): FakeAccount {
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const parts = this.verify(token);
    const unauthenticated = googleError(
      401,
      'Request had invalid authentication credentials. Expected OAuth 2 access token.',
      'UNAUTHENTICATED',
    );
    if (!parts || parts[0] !== 'ya29') throw unauthenticated;
    const [, sub, issued, refreshHash] = parts;
    if (
      Date.now() - Number(issued) > ACCESS_TTL_S * 1000 ||
      Number(issued) < this.accessNotBefore
    ) {
      throw unauthenticated;
    }
    for (const r of this.revoked) {
      if (createHash('sha256').update(r).digest('base64url').slice(0, 16) === refreshHash)
        throw unauthenticated;
    }
    const account = this.accounts.find((a) => a.sub === sub);
    if (!account) throw unauthenticated;
    return account;
  }

  private property(account: FakeAccount, id: string): FakeProperty {
    const p = account.properties.find((x) => x.propertyId === id);
    if (!p) {
      throw googleError(
        403,
        'User does not have sufficient permissions for this property.',
        'PERMISSION_DENIED',
      );
    }
    return p;
  }

  // ------------------------------------------------------------------ data

  /** One term's numbers on one day: clicks, impressions, position. */
  termDay(siteUrl: string, day: string, dimension: string, i: number) {
    const h = fnv(`${siteUrl}|${day}|${dimension}|${i}`);
    const weight = (this.termsPerDay - i) / this.termsPerDay;
    const impressions = 1 + Math.floor((20 + (h % 400)) * weight);
    const clicks = Math.floor((impressions * ((h >>> 9) % 35)) / 100);
    const position = Math.round((1 + ((h >>> 17) % 400) / 10 + i / 50) * 100) / 100;
    return { clicks, impressions, position };
  }

  termKey(siteUrl: string, dimension: string, i: number): string {
    const a = WORDS[i % WORDS.length]!;
    const b = WORDS[Math.floor(i / WORDS.length) % WORDS.length]!;
    if (dimension === 'page') {
      const base = siteUrl.startsWith('sc-domain:') ? `https://${siteUrl.slice(10)}/` : siteUrl;
      return `${base}${a}/${b}-${i}`;
    }
    return `${a} ${b} ${i}`;
  }

  /** A day's site totals: its terms plus anonymised queries no term row shows. */
  siteDay(siteUrl: string, day: string) {
    let clicks = 0;
    let impressions = 0;
    let weighted = 0;
    for (let i = 0; i < this.termsPerDay; i++) {
      const t = this.termDay(siteUrl, day, 'query', i);
      clicks += t.clicks;
      impressions += t.impressions;
      weighted += t.position * t.impressions;
    }
    const anonymous = fnv(`${siteUrl}|${day}|anon`) % 50;
    return {
      clicks: clicks + Math.floor(anonymous / 5),
      impressions: impressions + anonymous,
      position: Math.round((weighted / Math.max(1, impressions)) * 100) / 100,
    };
  }

  private searchAnalytics(siteUrl: string, body: Record<string, unknown>) {
    const start = String(body.startDate ?? '');
    const end = String(body.endDate ?? '');
    const dims = (body.dimensions as string[] | undefined) ?? [];
    const rowLimit = Math.min(Number(body.rowLimit ?? 1000), MAX_ROW_LIMIT);
    const startRow = Number(body.startRow ?? 0);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(start) || !/^\d{4}-\d{2}-\d{2}$/.test(end) || end < start) {
      throw googleError(400, 'Invalid date range.', 'INVALID_ARGUMENT');
    }
    const days = Math.round((toMs(end) - toMs(start)) / DAY_MS) + 1;
    const rows: {
      keys: string[];
      clicks: number;
      impressions: number;
      ctr: number;
      position: number;
    }[] = [];
    const row = (keys: string[], v: { clicks: number; impressions: number; position: number }) => ({
      keys,
      clicks: v.clicks,
      impressions: v.impressions,
      ctr: v.impressions > 0 ? v.clicks / v.impressions : 0,
      position: v.position,
    });
    if (dims.length === 1 && dims[0] === 'date') {
      for (let r = startRow; r < Math.min(days, startRow + rowLimit); r++) {
        const day = fromMs(toMs(start) + r * DAY_MS);
        rows.push(row([day], this.siteDay(siteUrl, day)));
      }
    } else if (
      dims.length === 2 &&
      dims[0] === 'date' &&
      (dims[1] === 'query' || dims[1] === 'page')
    ) {
      const n = this.termsPerDay;
      const total = days * n;
      for (let r = startRow; r < Math.min(total, startRow + rowLimit); r++) {
        const day = fromMs(toMs(start) + Math.floor(r / n) * DAY_MS);
        const i = r % n;
        rows.push(
          row([day, this.termKey(siteUrl, dims[1], i)], this.termDay(siteUrl, day, 'query', i)),
        );
      }
    } else {
      throw googleError(400, 'Unsupported dimensions.', 'INVALID_ARGUMENT');
    }
    return rows.length > 0
      ? { rows, responseAggregationType: 'byProperty' }
      : { responseAggregationType: 'byProperty' };
  }

  /** A GA4 day: all channels, or its Organic Search share. */
  analyticsDay(propertyId: string, day: string, organicOnly: boolean) {
    const h = fnv(`${propertyId}|${day}`);
    const sessions = 200 + (h % 800);
    const keyEvents = (h >>> 10) % 40;
    const revenueMilli = ((h >>> 4) % 5_000_000) + 5;
    const share = organicOnly ? 0.6 : 1;
    return {
      sessions: Math.floor(sessions * share),
      keyEvents: Math.round(keyEvents * share * 10) / 10,
      // Three decimals, as GA4 sends: rounding to the minor unit is the app's job.
      revenue: (Math.floor(revenueMilli * share) / 1000).toFixed(3),
    };
  }

  private runReport(p: FakeProperty, body: Record<string, unknown>) {
    const range = (body.dateRanges as { startDate: string; endDate: string }[] | undefined)?.[0];
    if (!range) throw googleError(400, 'dateRanges is required.', 'INVALID_ARGUMENT');
    const filter = body.dimensionFilter as
      { filter?: { fieldName?: string; stringFilter?: { value?: string } } } | undefined;
    const organic =
      filter?.filter?.fieldName === 'sessionDefaultChannelGroup' &&
      filter.filter.stringFilter?.value === 'Organic Search';
    const limit = Math.min(Number(body.limit ?? 10_000), 250_000);
    const offset = Number(body.offset ?? 0);
    const days = Math.round((toMs(range.endDate) - toMs(range.startDate)) / DAY_MS) + 1;
    const rows = [];
    for (let r = offset; r < Math.min(days, offset + limit); r++) {
      const day = fromMs(toMs(range.startDate) + r * DAY_MS);
      const v = this.analyticsDay(p.propertyId, day, organic);
      rows.push({
        dimensionValues: [{ value: day.replaceAll('-', '') }],
        metricValues: [
          { value: String(v.sessions) },
          { value: String(v.keyEvents) },
          { value: v.revenue },
        ],
      });
    }
    return {
      dimensionHeaders: [{ name: 'date' }],
      metricHeaders: [
        { name: 'sessions', type: 'TYPE_INTEGER' },
        { name: 'keyEvents', type: 'TYPE_FLOAT' },
        { name: 'totalRevenue', type: 'TYPE_CURRENCY' },
      ],
      ...(rows.length > 0 ? { rows } : {}),
      rowCount: days,
      metadata: { currencyCode: p.currency, timeZone: p.timeZone },
      kind: 'analyticsData#runReport',
    };
  }

  private accountSummaries(account: FakeAccount, q: URLSearchParams) {
    const groups = new Map<string, FakeProperty[]>();
    for (const p of account.properties)
      groups.set(p.account, [...(groups.get(p.account) ?? []), p]);
    const all = [...groups.entries()].map(([name, props], i) => ({
      name: `accountSummaries/${1000 + i}`,
      account: `accounts/${1000 + i}`,
      displayName: name,
      propertySummaries: props.map((p) => ({
        property: `properties/${p.propertyId}`,
        displayName: p.displayName,
        propertyType: 'PROPERTY_TYPE_ORDINARY',
        parent: `accounts/${1000 + i}`,
      })),
    }));
    const size = Math.min(Number(q.get('pageSize') ?? 50) || 50, this.accountPageSize);
    const start = Number(q.get('pageToken') ?? 0) || 0;
    const page = all.slice(start, start + size);
    return {
      accountSummaries: page,
      ...(start + size < all.length ? { nextPageToken: String(start + size) } : {}),
    };
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 1_000_000)
        reject(new HttpError(413, { error: { code: 413, message: 'Too large' } }));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { location });
  res.end();
}

function withParams(base: string, params: Record<string, string>): string {
  const url = new URL(base);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

const b64json = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

function page(title: string, banner: string | undefined, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#1a1a2e}
fieldset{border:1px solid #ccc;border-radius:6px;padding:.75rem 1rem;margin:1rem 0}
label{margin-left:.4rem}button{padding:.5rem 1rem;font-size:1rem;cursor:pointer;margin-right:.5rem}
.banner{background:#fff3cd;color:#1a1a2e;padding:.5rem 1rem;border-radius:4px}</style>
</head><body><header>${banner ? `<p class="banner">${esc(banner)}</p>` : ''}</header><main>${body}</main></body></html>`;
}
