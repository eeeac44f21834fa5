import { z } from 'zod';

/** Request and response schemas shared by the server (validation, OpenAPI) and the web app. */

export const Uuid = z.uuid();
export const IsoDateTime = z.iso.datetime();
/** A calendar date `YYYY-MM-DD` that exists. */
export const CalendarDate = z.iso.date();
export const Currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD');

export const Role = z.enum(['owner', 'admin', 'member', 'client']);
export type Role = z.infer<typeof Role>;

export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).max(500).optional(),
});

/** `{data, nextCursor}` for a list of `item`. */
export const Page = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), nextCursor: z.string().nullable() });

export const IdParams = z.object({ id: Uuid });

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });
export type Problem = z.infer<typeof Problem>;
