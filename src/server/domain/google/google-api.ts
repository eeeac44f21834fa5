import { analyticsadmin } from '@googleapis/analyticsadmin';
import { analyticsdata } from '@googleapis/analyticsdata';
import { searchconsole, type searchconsole_v1 } from '@googleapis/searchconsole';
import { CodeChallengeMethod, OAuth2Client } from 'google-auth-library';
import { assertOutsideTransaction } from '../../data/scoped-transaction.ts';

/** What the Google layer needs to know: the OAuth client and where Google is. */
export interface GoogleSettings {
  clientId: string;
  clientSecret: string;
  /** An origin (and path prefix) every Google endpoint is requested at; undefined: Google's hosts. */
  apiBase(): string | undefined;
  /** `<APP_URL>/api/v1/integrations/google/callback`. */
  redirectUri(): string;
  /** Waits between retries (tests shorten nothing: Retry-After is honoured as given). */
  sleep?(ms: number): Promise<void>;
}

export const GOOGLE_SCOPES = [
  'https://www.googleapis.com/auth/webmasters.readonly',
  'https://www.googleapis.com/auth/analytics.readonly',
  'openid',
  'email',
];

/** Tries of one Google call on 429 and 5xx, and the longest wait we accept between two. */
const MAX_ATTEMPTS = 6;
const MAX_WAIT_MS = 120_000;
const FIRST_BACKOFF_MS = 500;

/**
 * A Google failure as the product sees it: `invalid_grant` (the refresh token is dead: the
 * connection is broken until reconnected), `unavailable` (retries ran out), or `rejected`
 * (Google refused the request itself: a property we may not read, a bad code).
 */
export class GoogleError extends Error {
  constructor(
    readonly kind: 'invalid_grant' | 'unavailable' | 'rejected',
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
  }
}

interface HttpFailure {
  status: number | null;
  retryAfterMs: number | null;
  error: string | null;
  message: string;
}

/** Reads status, Retry-After and Google's error code off a gaxios error (or anything thrown). */
function failureOf(error: unknown): HttpFailure {
  const e = error as {
    status?: number;
    message?: string;
    response?: { status?: number; headers?: unknown; data?: unknown };
  };
  const status = e?.response?.status ?? e?.status ?? null;
  const headers = e?.response?.headers as
    { get?: (n: string) => string | null } | Record<string, string> | undefined;
  let retryAfter: string | null | undefined = null;
  if (headers && typeof (headers as { get?: unknown }).get === 'function') {
    retryAfter = (headers as { get(n: string): string | null }).get('retry-after');
  } else if (headers) {
    retryAfter = (headers as Record<string, string>)['retry-after'];
  }
  const data = e?.response?.data as
    | { error?: string | { message?: string; status?: string }; error_description?: string }
    | undefined;
  const code = typeof data?.error === 'string' ? data.error : (data?.error?.status ?? null);
  const detail =
    typeof data?.error === 'object' && data.error?.message
      ? data.error.message
      : (data?.error_description ?? e?.message ?? 'Google request failed');
  return {
    status,
    retryAfterMs: parseRetryAfter(retryAfter ?? null),
    error: code,
    message: detail,
  };
}

/** Retry-After in seconds or as an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The libraries retry on their own schedule (gaxios: 3 tries, its own delays, Retry-After
 * ignored); every request here goes out with their retries off, and `withRetries` decides.
 */
function noLibraryRetries(client: OAuth2Client): void {
  client.transporter.interceptors.request.add({
    resolved: async (config) => {
      config.retry = false;
      config.retryConfig = { ...config.retryConfig, retry: 0 };
      return config;
    },
  });
}

/** Calls `fn` again on 429 and 5xx (Retry-After, else doubling backoff), up to MAX_ATTEMPTS. */
async function withRetries<T>(settings: GoogleSettings, what: string, fn: () => Promise<T>) {
  const sleep = settings.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    assertOutsideTransaction(`Google call (${what})`);
    try {
      return await fn();
    } catch (error) {
      if (error instanceof GoogleError) throw error;
      const f = failureOf(error);
      if (f.error === 'invalid_grant') throw new GoogleError('invalid_grant', f.message, f.status);
      const retriable = f.status === null || f.status === 429 || f.status >= 500;
      if (!retriable) throw new GoogleError('rejected', `${what}: ${f.message}`, f.status);
      const backoff = FIRST_BACKOFF_MS * 2 ** (attempt - 1);
      const wait = f.retryAfterMs ?? backoff;
      if (attempt >= MAX_ATTEMPTS || wait > MAX_WAIT_MS) {
        throw new GoogleError('unavailable', `${what}: ${f.message}`, f.status);
      }
      await sleep(wait);
    }
  }
}

function oauthClient(settings: GoogleSettings): OAuth2Client {
  const base = settings.apiBase()?.replace(/\/+$/, '');
  const client = new OAuth2Client({
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    redirectUri: settings.redirectUri(),
    endpoints: base
      ? {
          oauth2AuthBaseUrl: `${base}/o/oauth2/v2/auth`,
          oauth2TokenUrl: `${base}/token`,
          oauth2RevokeUrl: `${base}/revoke`,
        }
      : undefined,
  });
  noLibraryRetries(client);
  return client;
}

/** A PKCE pair: the verifier stays with us, the challenge goes to Google. */
export async function createPkcePair(): Promise<{ verifier: string; challenge: string }> {
  const pair = await new OAuth2Client().generateCodeVerifierAsync();
  return { verifier: pair.codeVerifier, challenge: pair.codeChallenge! };
}

/** Google's authorize URL for a connection, with PKCE (S256) and the state. */
export function authorizationUrl(
  settings: GoogleSettings,
  state: string,
  codeChallenge: string,
): string {
  return oauthClient(settings).generateAuthUrl({
    access_type: 'offline',
    prompt: 'consent',
    scope: GOOGLE_SCOPES,
    state,
    code_challenge: codeChallenge,
    code_challenge_method: CodeChallengeMethod.S256,
  });
}

export interface ConnectedAccount {
  subject: string;
  email: string;
  refreshToken: string;
}

/**
 * Exchanges an authorization code (with its PKCE verifier) for tokens, and reads the account
 * from the ID token. Received straight from the token endpoint over our own connection, the ID
 * token's issuer is the endpoint itself (OpenID Connect Core 3.1.3.7), so its claims are read
 * without fetching Google's signing keys; the audience must still be our client.
 */
export async function exchangeCode(
  settings: GoogleSettings,
  code: string,
  verifier: string,
): Promise<ConnectedAccount> {
  const client = oauthClient(settings);
  const { tokens } = await withRetries(settings, 'token exchange', () =>
    client.getToken({ code, codeVerifier: verifier }),
  );
  if (!tokens.refresh_token) {
    throw new GoogleError('rejected', 'Google sent no refresh token (offline access refused)');
  }
  const claims = decodeIdToken(tokens.id_token ?? null);
  if (!claims || claims.aud !== settings.clientId || !claims.sub || !claims.email) {
    throw new GoogleError('rejected', 'Google sent no usable ID token for the account');
  }
  return { subject: claims.sub, email: claims.email, refreshToken: tokens.refresh_token };
}

function decodeIdToken(
  token: string | null,
): { sub?: string; email?: string; aud?: string } | null {
  const payload = token?.split('.')[1];
  if (!payload) return null;
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      sub?: string;
      email?: string;
      aud?: string;
    };
  } catch {
    return null;
  }
}

/** Revokes a token at Google; a token Google no longer knows counts as revoked. */
export async function revokeToken(settings: GoogleSettings, token: string): Promise<void> {
  const client = oauthClient(settings);
  try {
    await withRetries(settings, 'revoke', () => client.revokeToken(token));
  } catch (error) {
    if (error instanceof GoogleError && (error.kind === 'invalid_grant' || error.status === 400)) {
      return;
    }
    throw error;
  }
}

export interface SearchAnalyticsRow {
  keys: string[];
  clicks: number;
  impressions: number;
  position: number;
}

export interface AnalyticsDay {
  /** YYYY-MM-DD, as GA4 gives it in the property's timezone. */
  date: string;
  sessions: number;
  conversions: number;
  /** Major units, the decimal text GA4 gives (converted exactly, not through a float). */
  revenue: string;
}

/** The Search Console page size: the API's maximum; a shorter page is the last. */
export const SEARCH_CONSOLE_ROW_LIMIT = 25_000;
/** GA4 rows per runReport page. */
export const ANALYTICS_PAGE_SIZE = 10_000;

/**
 * Calls to Google on behalf of one connection: refreshes its access token when needed (and once
 * more on a 401), retries 429 and 5xx honouring Retry-After, and pages every list to its end.
 */
export class GoogleSession {
  private readonly client: OAuth2Client;
  private readonly rootUrl: string | undefined;

  constructor(
    private readonly settings: GoogleSettings,
    private readonly refreshToken: string,
  ) {
    this.client = oauthClient(settings);
    this.client.setCredentials({ refresh_token: refreshToken });
    const base = settings.apiBase()?.replace(/\/+$/, '');
    this.rootUrl = base ? `${base}/` : undefined;
  }

  /**
   * Our OAuth client as the API clients' `auth`: googleapis-common pins its own copy of
   * google-auth-library, whose class is the same at runtime but another type to TypeScript.
   */
  private get auth() {
    return this.client as unknown as searchconsole_v1.Options['auth'] & object;
  }

  /** Per-call options of the API clients: our root, their retries off. */
  private get options() {
    return { ...(this.rootUrl ? { rootUrl: this.rootUrl } : {}), retry: false };
  }

  /** Runs an authorized call; a 401 gets one fresh access token and one more try. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    let refreshed = false;
    for (;;) {
      await withRetries(this.settings, 'token refresh', () => this.client.getAccessToken());
      try {
        return await withRetries(this.settings, what, fn);
      } catch (error) {
        if (error instanceof GoogleError && error.status === 401 && !refreshed) {
          refreshed = true;
          this.client.setCredentials({ refresh_token: this.refreshToken });
          continue;
        }
        throw error;
      }
    }
  }

  /** Search Console properties the account can read. */
  async listSearchConsoleSites(): Promise<{ siteUrl: string; permissionLevel: string }[]> {
    const api = searchconsole({ version: 'v1', auth: this.auth });
    const res = await this.call('Search Console sites', () => api.sites.list({}, this.options));
    return (res.data.siteEntry ?? [])
      .filter((s) => s.siteUrl)
      .map((s) => ({
        siteUrl: s.siteUrl!,
        permissionLevel: s.permissionLevel ?? 'siteUnverifiedUser',
      }));
  }

  /** GA4 properties of every account, from every page of accountSummaries. */
  async listAnalyticsProperties(): Promise<
    { propertyId: string; displayName: string; account: string }[]
  > {
    const api = analyticsadmin({ version: 'v1beta', auth: this.auth });
    const out: { propertyId: string; displayName: string; account: string }[] = [];
    let pageToken: string | undefined;
    do {
      const res = await this.call('GA4 account summaries', () =>
        api.accountSummaries.list({ pageSize: 200, pageToken }, this.options),
      );
      for (const account of res.data.accountSummaries ?? []) {
        for (const p of account.propertySummaries ?? []) {
          const id = p.property?.split('/')[1];
          if (!id) continue;
          out.push({
            propertyId: id,
            displayName: p.displayName ?? id,
            account: account.displayName ?? account.account ?? '',
          });
        }
      }
      pageToken = res.data.nextPageToken ?? undefined;
    } while (pageToken);
    return out;
  }

  /** A GA4 property's currency (Admin API properties.get). */
  async analyticsPropertyCurrency(propertyId: string): Promise<string> {
    const api = analyticsadmin({ version: 'v1beta', auth: this.auth });
    const res = await this.call('GA4 property', () =>
      api.properties.get({ name: `properties/${propertyId}` }, this.options),
    );
    return (res.data.currencyCode ?? 'USD').toUpperCase();
  }

  /**
   * Search Console rows for [from, to] by `dimensions`, every page (`startRow` by 25,000 until a
   * page comes back short), handed to `onPage` as they arrive.
   */
  async querySearchAnalytics(
    siteUrl: string,
    from: string,
    to: string,
    dimensions: string[],
    onPage: (rows: SearchAnalyticsRow[]) => void,
  ): Promise<void> {
    const api = searchconsole({ version: 'v1', auth: this.auth });
    for (let startRow = 0; ; startRow += SEARCH_CONSOLE_ROW_LIMIT) {
      const res = await this.call('Search Console query', () =>
        api.searchanalytics.query(
          {
            siteUrl,
            requestBody: {
              startDate: from,
              endDate: to,
              dimensions,
              rowLimit: SEARCH_CONSOLE_ROW_LIMIT,
              startRow,
              dataState: 'all',
            },
          },
          this.options,
        ),
      );
      const rows = res.data.rows ?? [];
      onPage(
        rows.map((r) => ({
          keys: r.keys ?? [],
          clicks: r.clicks ?? 0,
          impressions: r.impressions ?? 0,
          position: r.position ?? 0,
        })),
      );
      if (rows.length < SEARCH_CONSOLE_ROW_LIMIT) return;
    }
  }

  /** GA4 days of [from, to]: sessions, key events and revenue, every page (limit/offset to rowCount). */
  async runDailyReport(
    propertyId: string,
    from: string,
    to: string,
    organicOnly: boolean,
  ): Promise<AnalyticsDay[]> {
    const api = analyticsdata({ version: 'v1beta', auth: this.auth });
    const out: AnalyticsDay[] = [];
    for (let offset = 0; ; offset += ANALYTICS_PAGE_SIZE) {
      const res = await this.call('GA4 report', () =>
        api.properties.runReport(
          {
            property: `properties/${propertyId}`,
            requestBody: {
              dateRanges: [{ startDate: from, endDate: to }],
              dimensions: [{ name: 'date' }],
              metrics: [{ name: 'sessions' }, { name: 'keyEvents' }, { name: 'totalRevenue' }],
              ...(organicOnly
                ? {
                    dimensionFilter: {
                      filter: {
                        fieldName: 'sessionDefaultChannelGroup',
                        stringFilter: { matchType: 'EXACT', value: 'Organic Search' },
                      },
                    },
                  }
                : {}),
              limit: String(ANALYTICS_PAGE_SIZE),
              offset: String(offset),
            },
          },
          this.options,
        ),
      );
      const rows = res.data.rows ?? [];
      for (const r of rows) {
        const d = r.dimensionValues?.[0]?.value ?? '';
        if (!/^\d{8}$/.test(d)) continue;
        const values = (r.metricValues ?? []).map((m) => m.value ?? '0');
        out.push({
          date: `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`,
          sessions: Number(values[0] ?? 0),
          conversions: Number(values[1] ?? 0),
          revenue: values[2] ?? '0',
        });
      }
      const rowCount = res.data.rowCount ?? 0;
      if (rows.length === 0 || offset + rows.length >= rowCount) return out;
    }
  }
}
