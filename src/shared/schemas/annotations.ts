import { z } from 'zod';
import { CalendarDate, dateRange, IsoDateTime, ListQuery, text, Uuid } from './common.ts';
import { Repeated } from './roi.ts';

/** Annotations on report charts (contract: Client reporting, annotations). */

export const CreateAnnotationBody = z
  .object({
    siteId: Uuid.nullable()
      .optional()
      .describe('The site it belongs to; absent or null: every site of the workspace'),
    date: CalendarDate,
    title: text().trim().min(1).max(200),
    note: text().trim().max(2000).nullable().optional(),
  })
  .strict();
export type CreateAnnotationBody = z.infer<typeof CreateAnnotationBody>;

export const ListAnnotationsQuery = ListQuery.extend({
  from: CalendarDate.optional().describe('Inclusive; default: no lower bound'),
  to: CalendarDate.optional().describe('Inclusive; default: no upper bound'),
  siteId: Repeated.describe(
    "Repeatable: those sites' annotations and the workspace-wide ones; default: every site the caller may see",
  ),
}).superRefine(dateRange('from', 'to'));
export type ListAnnotationsQuery = z.infer<typeof ListAnnotationsQuery>;

export const Annotation = z
  .object({
    id: Uuid,
    siteId: Uuid.nullable().describe('null: workspace-wide'),
    date: CalendarDate,
    title: z.string(),
    note: z.string().nullable(),
    source: z
      .enum(['manual', 'service'])
      .describe(
        'service: derived from a service (start and end of a retainer, a one-off job); not deletable',
      ),
    serviceId: Uuid.nullable(),
    createdAt: IsoDateTime.nullable().describe('null for automatic annotations'),
  })
  .meta({ id: 'Annotation' });
export type Annotation = z.infer<typeof Annotation>;
