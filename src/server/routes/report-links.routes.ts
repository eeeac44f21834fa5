import { IdParams, Page } from '../../shared/schemas/common.ts';
import {
  CreateReportLinkBody,
  ListReportLinksQuery,
  ReportLink,
  UpdateReportLinkBody,
} from '../../shared/schemas/report-links.ts';
import { hashPassword } from '../domain/accounts/passwords.ts';
import { diffChanges } from '../domain/audit/record-audit-event.ts';
import {
  createReportLink,
  listReportLinks,
  revokeReportLink,
  updateReportLink,
  type LinkSecrets,
} from '../domain/report-links/report-links.ts';
import { viewerOf } from '../domain/sites/viewer.ts';
import { defineRoute, requireTenant, type CacheContext } from '../http/define-route.ts';

const secretsOf = (ctx: Pick<CacheContext, 'services'>): LinkSecrets => ({
  encryptionKey: ctx.services.encryptionKey,
  appUrl: ctx.services.config.appUrl,
});

/** A link's audited fields: never its token or password hash. */
const AUDITED = ['name', 'siteIds', 'period', 'expiresAt', 'hasPassword'] as const;

export const reportLinkRoutes = [
  defineRoute({
    method: 'post',
    path: '/api/v1/report-links',
    tag: 'Report links',
    summary: 'Share a report by link',
    description:
      'A read-only, branded report of the given sites over a period (a preset, resolved in the workspace time zone whenever the link is opened, or fixed dates) at `url` = <APP_URL>/r/<token>, for anyone who has the URL (and the password, when set). The token (256 random bits) is stored as a hash and sealed (AES-256-GCM), so the URL can be copied again. An expiresAt in the past is 400; a site of another workspace is 404.',
    body: CreateReportLinkBody,
    responses: { 201: { description: 'Created', schema: ReportLink } },
    async prepare(_ctx, { body }) {
      return { passwordHash: body.password ? await hashPassword(body.password) : null };
    },
    async handler(ctx, { body, prepared }) {
      const tenant = requireTenant(ctx);
      const link = await createReportLink(
        ctx.tx,
        tenant.id,
        viewerOf(ctx),
        {
          name: body.name,
          siteIds: body.siteIds,
          period: body.period,
          passwordHash: prepared.passwordHash,
          expiresAt: body.expiresAt ?? null,
        },
        secretsOf(ctx),
      );
      await ctx.audit({
        action: 'report_link.created',
        target: { type: 'report_link', id: link.id },
        changes: Object.fromEntries(AUDITED.map((f) => [f, { from: null, to: link[f] }])),
      });
      return { status: 201, body: link };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/report-links',
    tag: 'Report links',
    summary: 'List shared report links',
    description:
      'Live links, oldest first, with their views and last view. A client sees (read-only) the links whose every site is granted to them.',
    query: ListReportLinksQuery,
    responses: { 200: { description: 'Links', schema: Page(ReportLink) } },
    async handler(ctx, { query }) {
      const tenant = requireTenant(ctx);
      return {
        status: 200,
        body: await listReportLinks(ctx.tx, tenant.id, viewerOf(ctx), query, secretsOf(ctx)),
      };
    },
  }),
  defineRoute({
    method: 'patch',
    path: '/api/v1/report-links/:id',
    tag: 'Report links',
    summary: 'Change a shared report link',
    description:
      'name, siteIds, period, password (null removes it; a new one locks out every reader until they enter it), expiresAt (null: never). The URL stays.',
    params: IdParams,
    body: UpdateReportLinkBody,
    responses: { 200: { description: 'Updated', schema: ReportLink } },
    async prepare(_ctx, { body }) {
      return {
        passwordHash:
          body.password === undefined
            ? undefined
            : body.password === null
              ? null
              : await hashPassword(body.password),
      };
    },
    async handler(ctx, { params, body, prepared }) {
      const tenant = requireTenant(ctx);
      const { before, after } = await updateReportLink(
        ctx.tx,
        tenant.id,
        viewerOf(ctx),
        params.id,
        {
          name: body.name,
          siteIds: body.siteIds,
          period: body.period,
          passwordHash: prepared.passwordHash,
          expiresAt: body.expiresAt,
        },
        secretsOf(ctx),
      );
      const changes = diffChanges(before, after, [...AUDITED]);
      // A new password over an old one changes no audited field but is a change all the same.
      if (prepared.passwordHash && before.hasPassword) changes.password = { from: '…', to: '…' };
      await ctx.audit({
        action: 'report_link.updated',
        target: { type: 'report_link', id: after.id },
        changes,
      });
      return { status: 200, body: after };
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/api/v1/report-links/:id',
    tag: 'Report links',
    summary: 'Revoke a shared report link',
    description: 'From now on its URL answers 404, like any unknown link.',
    params: IdParams,
    responses: { 204: { description: 'Revoked' } },
    async handler(ctx, { params }) {
      const link = await revokeReportLink(ctx.tx, requireTenant(ctx).id, params.id, secretsOf(ctx));
      await ctx.audit({
        action: 'report_link.revoked',
        target: { type: 'report_link', id: link.id },
        changes: { name: { from: link.name, to: null } },
      });
      return { status: 204 };
    },
  }),
];
