import type { z } from 'zod';
import type { Problem } from '../../shared/schemas/common.ts';

export interface FieldError {
  path: string;
  message: string;
}

/** A failed API call: the problem+json document the server sent (or one made up for a network failure). */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem & Record<string, unknown>;

  constructor(problem: Problem & Record<string, unknown>) {
    super(problem.detail ?? problem.title);
    this.name = 'ApiError';
    this.status = problem.status;
    this.problem = problem;
  }

  get fieldErrors(): FieldError[] {
    return this.problem.errors ?? [];
  }

  /** 402: a plan limit; the problem's type names which one (`…/plan-limit/sites`). */
  get isPlanLimit(): boolean {
    return this.status === 402;
  }
}

/** Turns any response body into a problem document, whatever the server or a proxy sent. */
export function toProblem(
  status: number,
  statusText: string,
  body: unknown,
): Problem & Record<string, unknown> {
  if (
    body &&
    typeof body === 'object' &&
    'title' in body &&
    typeof (body as { title: unknown }).title === 'string'
  ) {
    const b = body as Record<string, unknown>;
    return {
      ...b,
      type: typeof b.type === 'string' ? b.type : 'about:blank',
      title: b.title as string,
      status: typeof b.status === 'number' ? b.status : status,
      detail: typeof b.detail === 'string' ? b.detail : undefined,
      errors: Array.isArray(b.errors) ? (b.errors as FieldError[]) : undefined,
    };
  }
  return {
    type: 'about:blank',
    title: statusText || `HTTP ${status}`,
    status,
    detail: typeof body === 'string' && body ? body.slice(0, 300) : undefined,
  };
}

/** The error messages for one form field; `field` matches a path exactly or as a prefix (`branding` ← `branding.primaryColor`). */
export function errorsFor(errors: readonly FieldError[], field: string): string[] {
  return errors
    .filter(
      (e) => e.path === field || e.path.startsWith(`${field}.`) || e.path.startsWith(`${field}[`),
    )
    .map((e) => e.message);
}

/** Errors no visible field claims: shown in the form's summary so none is lost. */
export function unclaimedErrors(
  errors: readonly FieldError[],
  fields: readonly string[],
): FieldError[] {
  return errors.filter(
    (e) =>
      !fields.some((f) => e.path === f || e.path.startsWith(`${f}.`) || e.path.startsWith(`${f}[`)),
  );
}

/** zod's issues in the server's `{path, message}` shape, so client-side checks read like the server's. */
export function zodFieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
}

/**
 * A field's message as a sentence beside its field: capitalised, and the schema's camelCase
 * names in words ("must not be before startDate" → "Must not be before start date").
 */
export function humanizeMessage(message: string): string {
  // Beside its field, "is required" reads as "Required".
  const words = message
    .replace(/^is (?=\w)/, '')
    .replace(/\b([a-z]+)([A-Z][a-z]+)+\b/g, (name) =>
      name.replace(/([A-Z])/g, ' $1').toLowerCase(),
    );
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** One sentence: adds the closing full stop, unless it already ends like one. */
function sentence(text: string): string {
  const t = humanizeMessage(text.trim());
  return /[.!?…:]$/.test(t) ? t : `${t}.`;
}

/** A short human sentence for any error thrown by a call (title and detail, never the same twice). */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const { title, detail } = error.problem;
    // The generic validation wording says nothing the fields do not: name what to do instead.
    if (
      error.status === 400 &&
      error.fieldErrors.length > 0 &&
      /did not validate/i.test(detail ?? '')
    )
      return 'Some fields need attention.';
    if (!detail || detail.trim().toLowerCase() === title.trim().toLowerCase())
      return sentence(title);
    return sentence(detail);
  }
  if (error instanceof Error) return sentence(error.message);
  return 'Something went wrong.';
}
