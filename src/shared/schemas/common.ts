import { z } from 'zod';
// Installs the human messages for zod's checks wherever a schema is used (server and web app).
import './zod-messages.ts';

/** Request and response schemas shared by the server (validation, OpenAPI) and the web app. */

// The contract's input rules ("Conventions") live here, so every schema that accepts a date, a
// range, a text or a URL gets them: dates and timestamps in years 1900–2999, ranges of at most
// 3,660 days, no NUL character, only http: and https: URLs.

/** The years a date or timestamp in any input may fall in. */
export const MIN_YEAR = 1900;
export const MAX_YEAR = 2999;
/** The longest range an input may name, in days (10 years). */
export const MAX_RANGE_DAYS = 3660;

const DAY_MS = 86_400_000;
const NUL_MESSAGE = 'must not contain a NUL character';
const YEAR_MESSAGE = `must be in the years ${MIN_YEAR}–${MAX_YEAR}`;

/** True when a text holds no NUL character (PostgreSQL cannot store one in text). */
export const hasNoNul = (value: string) => !value.includes('\u0000');

/** True when a year is one an input may name. */
export const isAllowedYear = (year: number) => year >= MIN_YEAR && year <= MAX_YEAR;

/** A string from a user (name, note, filter, token): any text but a NUL character. */
export const text = () => z.string().refine(hasNoNul, NUL_MESSAGE);

export const Uuid = z.uuid();
/** A timestamp in a response (ISO 8601 UTC). */
export const IsoDateTime = z.iso.datetime();
/** A calendar date `YYYY-MM-DD` that exists, in the years 1900–2999. */
export const CalendarDate = z.iso
  .date()
  .refine((v) => isAllowedYear(Number(v.slice(0, 4))), YEAR_MESSAGE);
/** An ISO 8601 date-time in input (any offset), whose UTC instant is in the years 1900–2999. */
export const Timestamp = z.iso
  .datetime({ offset: true })
  .refine((v) => isAllowedYear(new Date(v).getUTCFullYear()), YEAR_MESSAGE);
/** A URL that is stored or redirected to: http: or https: only. */
export const HttpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http: or https: URL' })
  .max(2000)
  .refine(hasNoNul, NUL_MESSAGE);

/** Days from `from` to `to` inclusive, for dates `YYYY-MM-DD` or ISO date-times. */
function daysSpanned(from: string, to: string): number {
  return Math.floor((Date.parse(to) - Date.parse(from)) / DAY_MS) + 1;
}

/**
 * A refinement of an object holding a range `[from, to]` (dates or date-times, either optional):
 * `to` not before `from`, and at most 3,660 days between them. Apply it last (after `.extend`).
 */
export function dateRange<F extends string, T extends string>(fromKey: F, toKey: T) {
  return (value: Partial<Record<F | T, unknown>>, ctx: z.RefinementCtx) => {
    const from = value[fromKey];
    const to = value[toKey];
    if (typeof from !== 'string' || typeof to !== 'string') return;
    if (Date.parse(to) < Date.parse(from)) {
      ctx.addIssue({ code: 'custom', path: [toKey], message: `must not be before ${fromKey}` });
    } else if (daysSpanned(from, to) > MAX_RANGE_DAYS) {
      ctx.addIssue({
        code: 'custom',
        path: [fromKey],
        message: `a range covers at most ${MAX_RANGE_DAYS} days`,
      });
    }
  };
}
export const Currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD');

export const Role = z.enum(['owner', 'admin', 'member', 'client']);
export type Role = z.infer<typeof Role>;

export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: text().min(1).max(500).optional(),
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
