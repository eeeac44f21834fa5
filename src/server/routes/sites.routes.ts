import { IdParams, ListQuery, Page } from '../../shared/schemas/common.ts';
import { CreateSiteBody, Site, UpdateSiteBody } from '../../shared/schemas/roi.ts';
import { diffChanges } from '../domain/audit/record-audit-event.ts';
import { invalidateReports } from '../domain/reports/report-cache.ts';
import {
  createSite,
  deleteSite,
  getVisibleSite,
  listSites,
  updateSite,
} from '../domain/sites/sites.ts';
import { createdChanges, deletedChanges } from '../domain/sites/changes.ts';
import { viewerOf } from '../domain/sites/viewer.ts';
import { defineRoute, requireTenant } from '../http/define-route.ts';

const SITE_FIELDS = ['name', 'domain', 'clientName'] as const;

export const siteRoutes = [
  defineRoute({
    method: 'post',
    path: '/api/v1/sites',
    tag: 'Sites',
    summary: 'Create a site',
    description:
      'A pasted URL is reduced to its host. Counts toward the plan limit of sites (402 beyond).',
    body: CreateSiteBody,
    responses: { 201: { description: 'Created', schema: Site } },
    async handler(ctx, { body }) {
      const tenant = requireTenant(ctx);
      const site = await createSite(ctx.tx, tenant.id, body);
      await ctx.audit({
        action: 'site.created',
        target: { type: 'site', id: site.id },
        changes: createdChanges(site, SITE_FIELDS),
      });
      ctx.afterCommit(() => invalidateReports(ctx.services.cache, tenant.id));
      return { status: 201, body: site };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/sites',
    tag: 'Sites',
    summary: 'List sites',
    description: 'Oldest first. A client sees only the sites granted to them.',
    query: ListQuery,
    responses: { 200: { description: 'Sites', schema: Page(Site) } },
    async handler(ctx, { query }) {
      return {
        status: 200,
        body: await listSites(ctx.tx, requireTenant(ctx).id, viewerOf(ctx), query),
      };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/sites/:id',
    tag: 'Sites',
    summary: 'Read a site',
    params: IdParams,
    responses: { 200: { description: 'The site', schema: Site } },
    async handler(ctx, { params }) {
      return {
        status: 200,
        body: await getVisibleSite(ctx.tx, requireTenant(ctx).id, viewerOf(ctx), params.id),
      };
    },
  }),
  defineRoute({
    method: 'patch',
    path: '/api/v1/sites/:id',
    tag: 'Sites',
    summary: 'Change a site',
    description:
      'name, domain, clientName (null clears it), attribution (the fields named replace the stored ones): revenueShare and grossMargin 0–1 (six decimals at most), conversionValue in minor units, baseline {from, to} (at most 3660 days) or null. Credited value of a day = round((revenue + conversions × conversionValue) × revenueShare × grossMargin − baseline daily mean), per day and site (docs/roi-model.md). An attribution change is audited and recomputes every report.',
    params: IdParams,
    body: UpdateSiteBody,
    responses: { 200: { description: 'The site', schema: Site } },
    async handler(ctx, { params, body }) {
      const tenant = requireTenant(ctx);
      const { before, after } = await updateSite(ctx.tx, tenant.id, params.id, body);
      const changes = diffChanges(before, after, [...SITE_FIELDS, 'attribution']);
      if (Object.keys(changes).length > 0) {
        await ctx.audit({
          action: 'site.updated',
          target: { type: 'site', id: after.id },
          changes,
        });
        ctx.afterCommit(() => invalidateReports(ctx.services.cache, tenant.id));
      }
      return { status: 200, body: after };
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/api/v1/sites/:id',
    tag: 'Sites',
    summary: 'Delete a site',
    description:
      'Deletes its services, time entries and metrics too, and withdraws client grants to it.',
    params: IdParams,
    responses: { 204: { description: 'Deleted' } },
    async handler(ctx, { params }) {
      const tenant = requireTenant(ctx);
      const site = await deleteSite(ctx.tx, tenant.id, params.id);
      await ctx.audit({
        action: 'site.deleted',
        target: { type: 'site', id: site.id },
        changes: deletedChanges(site, SITE_FIELDS),
      });
      ctx.afterCommit(() => invalidateReports(ctx.services.cache, tenant.id));
      return { status: 204 };
    },
  }),
];
