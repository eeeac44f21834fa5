import { IdParams, ListQuery, Page } from '../../shared/schemas/common.ts';
import {
  GoogleCallbackQuery,
  Integration,
  IntegrationProperties,
  PutSiteSourcesBody,
  SearchTermsQuery,
  SearchTermsResult,
  SiteSources,
  StartGoogleConnectionResult,
  StartSyncBody,
  SyncState,
} from '../../shared/schemas/integrations.ts';
import { inTransaction, setScope } from '../data/scoped-transaction.ts';
import { diffChanges, recordAuditEvent } from '../domain/audit/record-audit-event.ts';
import {
  assertActive,
  consumeOAuthState,
  deleteGoogleConnection,
  listGoogleConnections,
  readGoogleConnection,
  saveGoogleConnection,
  startGoogleConnection,
  tenantOfState,
  type GoogleDeps,
} from '../domain/google/connections.ts';
import {
  exchangeCode,
  GoogleError,
  GoogleSession,
  revokeToken,
  type ConnectedAccount,
} from '../domain/google/google-api.ts';
import { defaultSearchTermsRange, listSearchTerms } from '../domain/google/search-terms.ts';
import {
  connectionForSources,
  defaultBackfillRange,
  deleteSiteSources,
  getSiteSources,
  getSyncState,
  putSiteSources,
  requestSiteSync,
} from '../domain/google/site-sources.ts';
import { enqueueSiteSync } from '../domain/google/sync-queue.ts';
import { breakConnection } from '../domain/google/sync-site.ts';
import { getVisibleSite } from '../domain/sites/sites.ts';
import { viewerOf } from '../domain/sites/viewer.ts';
import { AppError } from '../errors.ts';
import { defineRoute, requireTenant, type CacheContext } from '../http/define-route.ts';
import { tenantHint } from '../http/resolve-tenant.ts';

const SOURCE_FIELDS = [
  'integrationId',
  'searchConsoleProperty',
  'analyticsPropertyId',
  'organicOnly',
] as const;

/** Google connections are on (real Google or the sandbox), or a 503 naming why not. */
function googleOf(ctx: Pick<CacheContext, 'services'>): GoogleDeps {
  const google = ctx.services.google;
  if (!google) {
    throw new AppError(
      'unavailable',
      'Google connections are off: set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET (or turn SANDBOXES on)',
    );
  }
  return google;
}

/** The user a connection is made for: the signed-in user, or the creator of the API key. */
function userOf(ctx: Pick<CacheContext, 'principal'>): string {
  const p = ctx.principal;
  if (!p) throw new AppError('unauthenticated', 'Sign in first');
  return p.kind === 'session' ? p.userId : p.createdBy;
}

/**
 * A Google failure met in a request: `invalid_grant` breaks the connection (audited in its own
 * transaction) and is a 409 asking to reconnect; Google refusing the request itself is a 409
 * too (a property the account may not read); retries running out is a 502.
 */
async function googleFailure(
  ctx: Pick<CacheContext, 'services'>,
  tenantId: string,
  connectionId: string,
  error: unknown,
): Promise<never> {
  if (!(error instanceof GoogleError)) throw error;
  if (error.kind === 'invalid_grant') {
    await breakConnection(ctx.services, tenantId, connectionId, error.message);
    throw new AppError(
      'conflict',
      'Google refused this connection’s access (invalid_grant); reconnect the account',
    );
  }
  if (error.kind === 'rejected') throw new AppError('conflict', `Google refused: ${error.message}`);
  throw new AppError('bad_gateway', `Google did not answer: ${error.message}`);
}

/** Opens a session with a connection's token, read in its own short transaction. */
async function sessionFor(ctx: CacheContext, connectionId: string) {
  const tenant = requireTenant(ctx);
  const google = googleOf(ctx);
  const { integration, refreshToken } = await inTransaction(
    ctx.services.database,
    { tenantId: tenant.id },
    (tx) => readGoogleConnection(tx, google, tenant.id, connectionId),
  );
  assertActive(integration);
  return { integration, session: new GoogleSession(google.settings, refreshToken) };
}

export const integrationRoutes = [
  defineRoute({
    method: 'post',
    path: '/api/v1/integrations/google',
    tag: 'Integrations',
    summary: 'Start a Google connection',
    description:
      'Answers Google’s authorize URL (`/o/oauth2/v2/auth`, offline access, consent prompt, PKCE S256, Search Console and GA4 read-only scopes with `openid email`) with a single-use `state` bound to this workspace and user that expires in 10 minutes. Send the browser there; Google returns it to the callback.',
    responses: {
      201: { description: 'Where to send the browser', schema: StartGoogleConnectionResult },
    },
    async handler(ctx) {
      const tenant = requireTenant(ctx);
      const result = await startGoogleConnection(ctx.tx, googleOf(ctx), tenant.id, userOf(ctx));
      await ctx.audit({
        action: 'integration.authorization_started',
        target: { type: 'integration', id: null },
      });
      return { status: 201, body: result };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/integrations/google/callback',
    tag: 'Integrations',
    summary: 'Finish a Google connection',
    description:
      'Where Google sends the browser back. The `state` must be one this signed-in user started in this workspace (a workspace named by host or `X-Tenant-ID` must be the same), unused and under 10 minutes old; else 400 and nothing is stored. The code is exchanged at `/token` with the PKCE verifier, the connection stored (the same Google account again: the same connection, reactivated) and the browser redirected (303) to the web app’s `/integrations` page.',
    query: GoogleCallbackQuery,
    responses: { 303: { description: 'Connected: on to the integrations page' } },
    async prepare(
      ctx,
      { query },
    ): Promise<{ tenantId: string; userId: string; account: ConnectedAccount }> {
      const google = googleOf(ctx);
      const tenantId = tenantOfState(query.state);
      const userId = userOf(ctx);
      const invalid = (message: string) =>
        new AppError('validation', message, { errors: [{ path: 'query.state', message }] });
      if (!tenantId) throw invalid('unknown, already used or expired');
      const hint = tenantHint(ctx.req, ctx.services.config.BASE_DOMAIN);
      const verifier = await inTransaction(
        ctx.services.database,
        { tenantId, userId },
        async (tx) => {
          if (hint) {
            const named = await tx
              .selectFrom('tenants')
              .select(['id', 'subdomain'])
              .where('id', '=', tenantId)
              .executeTakeFirst();
            if (!named || (hint !== named.id && hint !== named.subdomain)) {
              throw invalid('issued for another workspace');
            }
          }
          return consumeOAuthState(tx, google, tenantId, query.state, userId);
        },
      );
      if (query.error || !query.code) {
        throw new AppError(
          'validation',
          `Google did not authorize the connection (${query.error ?? 'no code'})`,
          {
            errors: [{ path: 'query.code', message: query.error ?? 'missing' }],
          },
        );
      }
      try {
        return {
          tenantId,
          userId,
          account: await exchangeCode(google.settings, query.code, verifier),
        };
      } catch (error) {
        if (error instanceof GoogleError && error.kind !== 'unavailable') {
          throw new AppError('validation', `Google refused the authorization: ${error.message}`, {
            errors: [{ path: 'query.code', message: 'refused by Google' }],
          });
        }
        if (error instanceof GoogleError) {
          throw new AppError('bad_gateway', `Google did not answer: ${error.message}`);
        }
        throw error;
      }
    },
    async handler(ctx, { prepared }) {
      const { tenantId, userId, account } = prepared;
      await setScope(ctx.tx, { tenantId, userId });
      const { integration, before } = await saveGoogleConnection(
        ctx.tx,
        googleOf(ctx),
        tenantId,
        userId,
        account,
      );
      await recordAuditEvent(ctx.tx, tenantId, ctx.actor, ctx.meta, {
        action: before ? 'integration.reconnected' : 'integration.connected',
        target: { type: 'integration', id: integration.id },
        changes: before
          ? diffChanges(before, integration, ['account', 'status', 'lastError'])
          : { provider: 'google', account: integration.account },
      });
      return {
        status: 303,
        headers: {
          Location: `${ctx.services.config.appUrl}/integrations?connected=${integration.id}`,
        },
      };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/integrations',
    tag: 'Integrations',
    summary: 'List connections',
    description: 'Oldest first. Tokens are never returned.',
    query: ListQuery,
    responses: { 200: { description: 'Connections', schema: Page(Integration) } },
    async handler(ctx, { query }) {
      return {
        status: 200,
        body: await listGoogleConnections(ctx.tx, requireTenant(ctx).id, query),
      };
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/api/v1/integrations/:id',
    tag: 'Integrations',
    summary: 'Disconnect a Google account',
    description:
      'Revokes the token at Google (`/revoke`; a token Google already forgot counts as revoked) and deletes the connection; its sites are unlinked, their stored metrics and search terms stay.',
    params: IdParams,
    responses: { 204: { description: 'Disconnected' } },
    async prepare(ctx, { params }) {
      const tenant = requireTenant(ctx);
      const google = googleOf(ctx);
      const { refreshToken } = await inTransaction(
        ctx.services.database,
        { tenantId: tenant.id },
        (tx) => readGoogleConnection(tx, google, tenant.id, params.id),
      );
      try {
        await revokeToken(google.settings, refreshToken);
      } catch (error) {
        if (error instanceof GoogleError && error.kind === 'rejected') return;
        if (error instanceof GoogleError) {
          throw new AppError('bad_gateway', `Google did not answer: ${error.message}`);
        }
        throw error;
      }
    },
    async handler(ctx, { params }) {
      const tenant = requireTenant(ctx);
      const { integration, unlinkedSites } = await deleteGoogleConnection(
        ctx.tx,
        tenant.id,
        params.id,
      );
      await ctx.audit({
        action: 'integration.disconnected',
        target: { type: 'integration', id: integration.id },
        changes: { account: integration.account, unlinkedSites },
      });
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/integrations/:id/properties',
    tag: 'Integrations',
    summary: 'List a connection’s Google properties',
    description:
      'Search Console properties (`GET /webmasters/v3/sites`) and GA4 properties (every page of `GET /v1beta/accountSummaries`; `propertyId` is the numeric id, `account` the account’s display name). 409 while the connection is broken.',
    params: IdParams,
    responses: { 200: { description: 'Properties', schema: IntegrationProperties } },
    async prepare(ctx, { params }) {
      const tenant = requireTenant(ctx);
      const { session } = await sessionFor(ctx, params.id);
      try {
        const [searchConsole, analytics] = [
          await session.listSearchConsoleSites(),
          await session.listAnalyticsProperties(),
        ];
        return { searchConsole, analytics };
      } catch (error) {
        return googleFailure(ctx, tenant.id, params.id, error);
      }
    },
    async handler(_ctx, { prepared }) {
      return { status: 200, body: prepared };
    },
  }),
  defineRoute({
    method: 'put',
    path: '/api/v1/sites/:id/sources',
    tag: 'Integrations',
    summary: 'Link a site to Google properties',
    description:
      'A Search Console property (it must be one the connection can read) and/or a GA4 property; `organicOnly` (default true) keeps GA4 to the Organic Search channel. The GA4 property’s currency is read from the Admin API (`properties.get`, `currencyCode`): one that is not the workspace’s is refused (409), amounts are never converted. Replaces an earlier link. Sync with `POST /api/v1/sites/:id/sync`.',
    params: IdParams,
    body: PutSiteSourcesBody,
    responses: { 200: { description: 'What is stored', schema: SiteSources } },
    async prepare(ctx, { params, body }) {
      const tenant = requireTenant(ctx);
      // The site must be visible (404) and the connection named must exist here (400) before
      // anything goes to Google.
      await inTransaction(ctx.services.database, { tenantId: tenant.id }, async (tx) => {
        await getVisibleSite(tx, tenant.id, viewerOf(ctx), params.id);
        await connectionForSources(tx, tenant.id, body.integrationId);
      });
      const { session } = await sessionFor(ctx, body.integrationId);
      try {
        if (body.searchConsoleProperty) {
          const sites = await session.listSearchConsoleSites();
          if (!sites.some((s) => s.siteUrl === body.searchConsoleProperty)) {
            throw new AppError(
              'validation',
              'This Google account cannot read that Search Console property',
              {
                errors: [
                  { path: 'searchConsoleProperty', message: 'not a property of this connection' },
                ],
              },
            );
          }
        }
        const currency = body.analyticsPropertyId
          ? await session.analyticsPropertyCurrency(body.analyticsPropertyId)
          : null;
        return { currency, siteId: params.id };
      } catch (error) {
        if (error instanceof AppError) throw error;
        return googleFailure(ctx, tenant.id, body.integrationId, error);
      }
    },
    async handler(ctx, { params, body, prepared }) {
      const tenant = requireTenant(ctx);
      const { sources, before } = await putSiteSources(
        ctx.tx,
        tenant.id,
        viewerOf(ctx),
        params.id,
        body,
        prepared.currency,
        tenant.currency,
      );
      await ctx.audit({
        action: before ? 'site.sources_updated' : 'site.sources_linked',
        target: { type: 'site', id: params.id },
        changes: before
          ? diffChanges(before, sources, SOURCE_FIELDS)
          : Object.fromEntries(SOURCE_FIELDS.map((f) => [f, { from: null, to: sources[f] }])),
      });
      return { status: 200, body: sources };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/sites/:id/sources',
    tag: 'Integrations',
    summary: 'Read a site’s Google properties',
    description: '404 when the site is not linked. A client sees those of their granted sites.',
    params: IdParams,
    responses: { 200: { description: 'Linked properties', schema: SiteSources } },
    async handler(ctx, { params }) {
      const tenant = requireTenant(ctx);
      return {
        status: 200,
        body: await getSiteSources(ctx.tx, tenant.id, viewerOf(ctx), params.id),
      };
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/api/v1/sites/:id/sources',
    tag: 'Integrations',
    summary: 'Unlink a site from Google',
    description: 'Its stored metrics and search terms stay; a sync under way stops.',
    params: IdParams,
    responses: { 204: { description: 'Unlinked' } },
    async handler(ctx, { params }) {
      const tenant = requireTenant(ctx);
      const before = await deleteSiteSources(ctx.tx, tenant.id, viewerOf(ctx), params.id);
      await ctx.audit({
        action: 'site.sources_unlinked',
        target: { type: 'site', id: params.id },
        changes: Object.fromEntries(SOURCE_FIELDS.map((f) => [f, { from: before[f], to: null }])),
      });
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/sites/:id/sync',
    tag: 'Integrations',
    summary: 'Sync a site from Google',
    description:
      'Queues a backfill of [from, to] (default: from the first day of the month 16 months ago to yesterday, in the workspace’s time zone); a sync of the site under way gives way to it. Progress counts days. 409 when the site is not linked or its connection is broken.',
    params: IdParams,
    body: StartSyncBody,
    responses: { 202: { description: 'Queued', schema: SyncState } },
    async handler(ctx, { params, body }) {
      const tenant = requireTenant(ctx);
      const defaults = defaultBackfillRange(tenant.timezone);
      const range = { from: body.from ?? defaults.from, to: body.to ?? defaults.to };
      if (range.to < range.from) {
        throw new AppError('validation', 'The range ends before it starts', {
          errors: [{ path: body.to ? 'to' : 'from', message: 'must not be after to' }],
        });
      }
      const state = await requestSiteSync(ctx.tx, tenant.id, viewerOf(ctx), params.id, range);
      await ctx.audit({
        action: 'site.sync_requested',
        target: { type: 'site', id: params.id },
        changes: range,
      });
      // No report changes yet: the metrics writer drops cached reports as the days land.
      ctx.afterCommit(() => enqueueSiteSync(ctx.services.queue, tenant.id, params.id));
      return { status: 202, body: state };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/sites/:id/sync',
    tag: 'Integrations',
    summary: 'Read a site’s sync state',
    description:
      '`progress` counts days of the current (or last) sync; `lastSyncedAt` is the end of the last successful sync, `syncedThrough` the last day synced.',
    params: IdParams,
    responses: { 200: { description: 'Sync state', schema: SyncState } },
    async handler(ctx, { params }) {
      const tenant = requireTenant(ctx);
      return { status: 200, body: await getSyncState(ctx.tx, tenant.id, viewerOf(ctx), params.id) };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/sites/:id/search-terms',
    tag: 'Integrations',
    summary: 'Top search terms of a site',
    description:
      'Queries or pages (`dimension`, default `query`) for [from, to] (default: the 28 days ending yesterday, in the workspace’s time zone), ordered by clicks, then impressions, then key; `position` is impressions-weighted. Site totals come from Google’s daily totals, not from these rows (they leave out anonymised queries).',
    params: IdParams,
    query: SearchTermsQuery,
    responses: { 200: { description: 'Search terms', schema: SearchTermsResult } },
    async handler(ctx, { params, query }) {
      const tenant = requireTenant(ctx);
      const defaults = defaultSearchTermsRange(tenant.timezone);
      const from = query.from ?? (query.to && query.to < defaults.from ? query.to : defaults.from);
      const to = query.to ?? (query.from && query.from > defaults.to ? query.from : defaults.to);
      const data = await listSearchTerms(ctx.tx, tenant.id, viewerOf(ctx), params.id, {
        from,
        to,
        dimension: query.dimension,
        limit: query.limit,
      });
      return { status: 200, body: { from, to, dimension: query.dimension, data } };
    },
  }),
];
