import type { z } from 'zod';
import { Annotation, type CreateAnnotationBody } from '../../shared/schemas/annotations.ts';
import { Page } from '../../shared/schemas/common.ts';
import { request, requestAs } from './http.ts';

export type AnnotationT = z.infer<typeof Annotation>;

/** Annotations of the given sites (and the workspace-wide ones), by date. */
export const listAnnotations = (q: { siteId?: string[]; from?: string; to?: string } = {}) =>
  requestAs(Page(Annotation), '/annotations', { query: { limit: 200, ...q } });
export const createAnnotation = (body: z.input<typeof CreateAnnotationBody>) =>
  requestAs(Annotation, '/annotations', { method: 'POST', body });
export const deleteAnnotation = (id: string) => request(`/annotations/${id}`, { method: 'DELETE' });
