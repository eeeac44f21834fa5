import {
  LOGO_CONTENT_TYPES,
  LogoQuery,
  MAX_LOGO_BYTES,
  TenantLogo,
  TenantSettings,
  UpdateTenantBody,
} from '../../shared/schemas/tenants.ts';
import { diffChanges } from '../domain/audit/record-audit-event.ts';
import {
  checkLogo,
  deleteTenantLogo,
  logoPath,
  readPublicLogo,
  storeTenantLogo,
} from '../domain/tenants/branding.ts';
import { presentTenantSettings, updateTenantSettings } from '../domain/tenants/tenants.ts';
import { defineRoute, requireTenant } from '../http/define-route.ts';
import { tenantHint } from '../http/resolve-tenant.ts';
import { notFound } from '../errors.ts';

export const tenantRoutes = [
  defineRoute({
    method: 'get',
    path: '/api/v1/tenant',
    tag: 'Workspaces',
    summary: 'Read the workspace settings',
    description:
      "Any member. A `client` member gets name, currency, timezone and branding but not the agency's plan and billing (plan, billingStatus, pastDue, billingGraceEndsAt are omitted).",
    responses: { 200: { description: 'Settings', schema: TenantSettings } },
    async handler(ctx) {
      // No role reads as a client: the least a reader may see.
      return {
        status: 200,
        body: presentTenantSettings(requireTenant(ctx), ctx.role ?? 'client'),
      };
    },
  }),
  defineRoute({
    method: 'patch',
    path: '/api/v1/tenant',
    tag: 'Workspaces',
    summary: 'Change the workspace settings',
    description:
      'name, currency, timezone, branding (merged: displayName, primaryColor, reportTitle; the logo is uploaded with PUT /api/v1/tenant/logo). The subdomain and plan cannot be set here. The currency cannot change once the workspace stores money (services with an amount, time entries, imported revenue, conversion values, value goals): 409 naming why; stored amounts are never relabelled.',
    body: UpdateTenantBody,
    responses: { 200: { description: 'Updated settings', schema: TenantSettings } },
    async handler(ctx, { body }) {
      const tenant = requireTenant(ctx);
      const { before, after } = await updateTenantSettings(ctx.tx, tenant.id, body);
      const changes = diffChanges(before, after, ['name', 'currency', 'timezone', 'branding']);
      if (Object.keys(changes).length > 0) {
        await ctx.audit({
          action: 'tenant.updated',
          target: { type: 'tenant', id: tenant.id },
          changes,
        });
      }
      return { status: 200, body: presentTenantSettings(after, ctx.role ?? 'client') };
    },
  }),
  defineRoute({
    method: 'put',
    path: '/api/v1/tenant/logo',
    tag: 'Workspaces',
    summary: 'Upload the workspace logo',
    description: `The image as the raw body with its Content-Type: PNG, JPEG or WebP, checked by its content (a file whose bytes are not the type it is sent as is refused), at most ${MAX_LOGO_BYTES / 1024} KiB (413 beyond). SVG is refused: it can carry script. Shown on shared reports, PDFs (a WebP logo drawn as PNG there: PDF has no WebP image type) and report e-mails.`,
    bodyKind: 'raw',
    bodyLimit: MAX_LOGO_BYTES,
    requestContentTypes: Object.fromEntries(
      LOGO_CONTENT_TYPES.map((type) => [type, { description: 'The image bytes' }]),
    ),
    responses: { 200: { description: 'The stored logo', schema: TenantLogo } },
    async handler(ctx, { body }) {
      const tenant = requireTenant(ctx);
      const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
      const contentType = checkLogo(bytes, ctx.req.get('content-type'));
      const { before, after } = await storeTenantLogo(ctx.tx, tenant.id, contentType, bytes);
      await ctx.audit({
        action: 'tenant.logo_updated',
        target: { type: 'tenant', id: tenant.id },
        changes: { logo: { from: before, to: after.sha256 } },
      });
      return {
        status: 200,
        body: {
          ...after,
          url: logoPath({ subdomain: tenant.subdomain, branding: { logo: after } })!,
        },
      };
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/api/v1/tenant/logo',
    tag: 'Workspaces',
    summary: 'Remove the workspace logo',
    responses: { 204: { description: 'Removed' } },
    async handler(ctx) {
      const tenant = requireTenant(ctx);
      const removed = await deleteTenantLogo(ctx.tx, tenant.id);
      if (!removed) throw notFound('Logo');
      await ctx.audit({
        action: 'tenant.logo_removed',
        target: { type: 'tenant', id: tenant.id },
        changes: { logo: { from: removed, to: null } },
      });
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/tenant/logo',
    tag: 'Workspaces',
    summary: 'Read a workspace logo',
    description:
      'Public (shared reports and e-mails show it): the workspace is named by its host, X-Tenant-ID or `tenant` (id or subdomain). A workspace without a logo and an unknown one are the same 404. With `v` equal to the current version the answer may be cached for a year.',
    query: LogoQuery,
    responses: {
      200: {
        description: 'The image',
        contentType: 'image/png',
      },
      304: { description: 'Not modified (If-None-Match)' },
    },
    async handler(ctx, { query }) {
      const name = query.tenant ?? tenantHint(ctx.req, ctx.services.config.BASE_DOMAIN);
      const logo = name ? await readPublicLogo(ctx.tx, name) : null;
      if (!logo) throw notFound('Logo');
      const etag = `"${logo.sha256.slice(0, 32)}"`;
      const current =
        query.v !== undefined && logo.sha256.startsWith(query.v) && query.v.length >= 8;
      const headers: Record<string, string> = {
        'Content-Type': logo.contentType,
        'Cache-Control': current ? 'public, max-age=31536000, immutable' : 'public, max-age=300',
        ETag: etag,
        'X-Content-Type-Options': 'nosniff',
        'Content-Security-Policy': "default-src 'none'; sandbox",
        'Cross-Origin-Resource-Policy': 'cross-origin',
        'Content-Disposition': 'inline',
      };
      const match = ctx.req.get('if-none-match');
      if (match && match.split(',').some((t) => t.trim() === etag)) {
        return { status: 304, headers };
      }
      return { status: 200, headers, render: async () => logo.bytes };
    },
  }),
];
