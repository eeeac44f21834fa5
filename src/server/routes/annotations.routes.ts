import { IdParams, Page } from '../../shared/schemas/common.ts';
import {
  Annotation,
  CreateAnnotationBody,
  ListAnnotationsQuery,
} from '../../shared/schemas/annotations.ts';
import {
  createAnnotation,
  deleteAnnotation,
  listAnnotationsPage,
} from '../domain/annotations/annotations.ts';
import { createdChanges, deletedChanges } from '../domain/sites/changes.ts';
import { viewerOf } from '../domain/sites/viewer.ts';
import { defineRoute, requireTenant } from '../http/define-route.ts';

const FIELDS = ['siteId', 'date', 'title', 'note'] as const;

export const annotationRoutes = [
  defineRoute({
    method: 'post',
    path: '/api/v1/annotations',
    tag: 'Annotations',
    summary: 'Add an annotation',
    description:
      'A dated note shown on report charts, shared reports and PDFs: on one site, or workspace-wide without siteId.',
    body: CreateAnnotationBody,
    responses: { 201: { description: 'Created', schema: Annotation } },
    async handler(ctx, { body }) {
      const tenant = requireTenant(ctx);
      const annotation = await createAnnotation(ctx.tx, tenant.id, viewerOf(ctx), body);
      await ctx.audit({
        action: 'annotation.created',
        target: { type: 'annotation', id: annotation.id },
        changes: createdChanges(annotation, FIELDS),
      });
      return { status: 201, body: annotation };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/annotations',
    tag: 'Annotations',
    summary: 'List annotations',
    description:
      'Manual annotations and the automatic ones of services (a retainer’s start and end, a one-off job), ordered by date. With siteId: those sites’ and the workspace-wide ones. A client sees those of the sites granted to them and the workspace-wide ones.',
    query: ListAnnotationsQuery,
    responses: { 200: { description: 'Annotations, by date', schema: Page(Annotation) } },
    async handler(ctx, { query }) {
      const tenant = requireTenant(ctx);
      return {
        status: 200,
        body: await listAnnotationsPage(ctx.tx, tenant.id, viewerOf(ctx), query),
      };
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/api/v1/annotations/:id',
    tag: 'Annotations',
    summary: 'Delete an annotation',
    description:
      'Manual annotations only: an automatic one is 409 (change or delete its service instead).',
    params: IdParams,
    responses: { 204: { description: 'Deleted' } },
    async handler(ctx, { params }) {
      const tenant = requireTenant(ctx);
      const removed = await deleteAnnotation(ctx.tx, tenant.id, params.id);
      await ctx.audit({
        action: 'annotation.deleted',
        target: { type: 'annotation', id: removed.id },
        changes: deletedChanges(removed, ['siteId', 'date', 'title'] as const),
      });
      return { status: 204 };
    },
  }),
];
