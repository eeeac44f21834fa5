import { useCallback, useRef, useState } from 'react';
import type { z } from 'zod';
import { ApiError, zodFieldErrors, type FieldError } from '../api/problem.ts';

export interface Submission<A extends unknown[]> {
  run: (...args: A) => Promise<boolean>;
  busy: boolean;
  error: unknown;
  fieldErrors: FieldError[];
  reset: () => void;
  /** Shows client-side validation errors as if the server had sent them. */
  setFieldErrors: (errors: FieldError[]) => void;
}

/**
 * State of an action that calls the API: busy while it runs, then the problem's field errors
 * (shown beside their fields) or its summary. `run` resolves true on success.
 */
export function useSubmit<A extends unknown[]>(
  action: (...args: A) => Promise<unknown>,
): Submission<A> {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [fieldErrors, setFieldErrorsState] = useState<FieldError[]>([]);
  const actionRef = useRef(action);
  actionRef.current = action;
  const inFlight = useRef(false);

  const run = useCallback(async (...args: A) => {
    if (inFlight.current) return false;
    inFlight.current = true;
    setBusy(true);
    setError(null);
    setFieldErrorsState([]);
    try {
      await actionRef.current(...args);
      return true;
    } catch (err) {
      setError(err);
      if (err instanceof ApiError) setFieldErrorsState(err.fieldErrors);
      return false;
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  }, []);

  const reset = useCallback(() => {
    setError(null);
    setFieldErrorsState([]);
  }, []);
  const setFieldErrors = useCallback((errors: FieldError[]) => {
    setFieldErrorsState(errors);
    setError(
      errors.length
        ? new ApiError({
            type: 'about:blank',
            title: 'Check the highlighted fields',
            status: 400,
            errors,
          })
        : null,
    );
  }, []);
  return { run, busy, error, fieldErrors, reset, setFieldErrors };
}

/** Checks a body with the server's own schema first, so obvious mistakes need no round trip. */
export function precheck<S extends z.ZodType>(
  schema: S,
  body: unknown,
): { ok: true; value: z.output<S> } | { ok: false; errors: FieldError[] } {
  const result = schema.safeParse(body);
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, errors: zodFieldErrors(result.error) };
}
