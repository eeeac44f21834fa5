/**
 * The one error type of the application. Every failure a client may see is an AppError with a
 * code from this closed set; the error middleware maps it to RFC 9457 problem+json.
 */
export const ERROR_CODES = {
  validation: { status: 400, title: 'Invalid request' },
  malformed: { status: 400, title: 'Malformed request' },
  unauthenticated: { status: 401, title: 'Not signed in' },
  invalid_credentials: { status: 401, title: 'Invalid email or password' },
  plan_limit: { status: 402, title: 'Plan limit reached' },
  forbidden: { status: 403, title: 'Forbidden' },
  csrf: { status: 403, title: 'CSRF token missing or invalid' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  not_acceptable: { status: 406, title: 'Not acceptable' },
  conflict: { status: 409, title: 'Conflict' },
  idempotency_conflict: { status: 409, title: 'Idempotency key reused with another request' },
  gone: { status: 410, title: 'Gone' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal server error' },
  bad_gateway: { status: 502, title: 'Upstream service failed' },
  unavailable: { status: 503, title: 'Service unavailable' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface FieldError {
  path: string;
  message: string;
}

export interface AppErrorOptions {
  errors?: FieldError[];
  headers?: Record<string, string>;
  /** Extra members of the problem document (RFC 9457 extensions), e.g. `limit` for plan_limit. */
  extensions?: Record<string, unknown>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly status: number;
  readonly title: string;

  constructor(
    readonly code: ErrorCode,
    readonly detail?: string,
    readonly options: AppErrorOptions = {},
  ) {
    super(detail ?? ERROR_CODES[code].title, { cause: options.cause });
    this.status = ERROR_CODES[code].status;
    this.title = ERROR_CODES[code].title;
  }

  /** The problem type URI: stable, one per code (documented in the OpenAPI description). */
  get type(): string {
    return `/problems/${this.code.replaceAll('_', '-')}`;
  }
}

export const notFound = (what = 'Resource') => new AppError('not_found', `${what} not found`);
export const forbidden = (detail = 'Your role does not allow this action') =>
  new AppError('forbidden', detail);
export const conflict = (detail: string) => new AppError('conflict', detail);
export const invalid = (errors: FieldError[], detail = 'The request did not validate') =>
  new AppError('validation', detail, { errors });

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** Shapes an AppError as the problem+json document sent to the client. */
export function toProblem(error: AppError, instance?: string): ProblemDocument {
  return {
    type: error.type,
    title: error.title,
    status: error.status,
    ...(error.detail ? { detail: error.detail } : {}),
    ...(instance ? { instance } : {}),
    ...(error.options.errors ? { errors: error.options.errors } : {}),
    // Extensions may refine `type` (plan-limit/sites); status and title stay the code's.
    ...error.options.extensions,
  };
}
