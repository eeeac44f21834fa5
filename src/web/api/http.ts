import type { z } from 'zod';
import { ApiError, toProblem } from './problem.ts';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The workspace (subdomain) that tenant-scoped calls name in X-Tenant-ID; set by the workspace route. */
let currentTenant: string | null = null;
export function setCurrentTenant(tenant: string | null) {
  currentTenant = tenant;
}
export function getCurrentTenant() {
  return currentTenant;
}

/** Called when any call answers 401, so the app can send the user to sign in. */
let onUnauthenticated: (() => void) | null = null;
export function setUnauthenticatedHandler(fn: (() => void) | null) {
  onUnauthenticated = fn;
}

/** The csrf_token cookie the server set at sign-in, echoed in X-CSRF-Token (double submit). */
export function readCsrfToken(cookie: string = document.cookie): string | null {
  for (const part of cookie.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === 'csrf_token') return decodeURIComponent(rest.join('='));
  }
  return null;
}

export type Query = Record<
  string,
  string | number | boolean | null | undefined | readonly string[]
>;

/** `?a=1&b=x&b=y`, skipping empty values; arrays repeat the key. */
export function buildQuery(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) for (const v of value as readonly string[]) params.append(key, v);
    else params.append(key, String(value));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

export interface RequestOptions {
  method?: string;
  query?: Query;
  /** JSON body (objects) or raw text with its own content type. */
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  /** Name no workspace (account routes). */
  noTenant?: boolean;
  signal?: AbortSignal;
}

export function requestHeaders(
  method: string,
  opts: Pick<RequestOptions, 'headers' | 'noTenant' | 'contentType'>,
  hasBody: boolean,
) {
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
  if (hasBody) headers['Content-Type'] = opts.contentType ?? 'application/json';
  if (UNSAFE.has(method)) {
    const csrf = readCsrfToken();
    if (csrf) headers['X-CSRF-Token'] = csrf;
  }
  if (!opts.noTenant && currentTenant) headers['X-Tenant-ID'] = currentTenant;
  return headers;
}

async function readBody(res: Response): Promise<unknown> {
  if (res.status === 204) return undefined;
  const text = await res.text();
  if (!text) return undefined;
  const type = res.headers.get('content-type') ?? '';
  if (/json/i.test(type)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/** Throws ApiError for a non-2xx answer; returns the parsed body otherwise. */
export async function handleResponse(res: Response): Promise<unknown> {
  const body = await readBody(res);
  if (!res.ok) {
    if (res.status === 401) onUnauthenticated?.();
    throw new ApiError(toProblem(res.status, res.statusText, body));
  }
  return body;
}

/** One call to the API. Network failures become an ApiError with status 0. */
export async function request(path: string, opts: RequestOptions = {}): Promise<unknown> {
  const method = (opts.method ?? 'GET').toUpperCase();
  const hasBody = opts.body !== undefined;
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}${buildQuery(opts.query)}`, {
      method,
      credentials: 'same-origin',
      headers: requestHeaders(method, opts, hasBody),
      body: hasBody
        ? typeof opts.body === 'string'
          ? opts.body
          : JSON.stringify(opts.body)
        : undefined,
      signal: opts.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError({
      type: 'about:blank',
      title: 'Network error',
      status: 0,
      detail: 'The server could not be reached. Check your connection and retry.',
    });
  }
  return handleResponse(res);
}

/**
 * A call whose answer is checked against the server's own response schema. A mismatch is a bug
 * between the two sides: it is reported (console.warn) but the data still flows, so one extra or
 * renamed field never blanks a page.
 */
export async function requestAs<S extends z.ZodType>(
  schema: S,
  path: string,
  opts?: RequestOptions,
): Promise<z.output<S>> {
  const body = await request(path, opts);
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  console.warn(
    `Response of ${opts?.method ?? 'GET'} ${path} does not match its schema`,
    parsed.error.issues.slice(0, 5),
  );
  return body as z.output<S>;
}

/** Downloads an API answer (an export) as a file, with the same headers as any call. */
export async function download(path: string, query: Query, fallbackName: string): Promise<void> {
  const res = await fetch(`/api/v1${path}${buildQuery(query)}`, {
    credentials: 'same-origin',
    headers: { ...requestHeaders('GET', {}, false), Accept: '*/*' },
  });
  if (!res.ok) await handleResponse(res);
  const blob = await res.blob();
  const disposition = res.headers.get('content-disposition') ?? '';
  const name = /filename="?([^";]+)"?/i.exec(disposition)?.[1] ?? fallbackName;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Uploads a raw body with progress (fetch has no upload progress; XMLHttpRequest does). */
export function uploadWithProgress(
  path: string,
  body: Blob | string,
  contentType: string,
  onProgress: (fraction: number) => void,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/v1${path}`);
    xhr.withCredentials = true;
    for (const [k, v] of Object.entries(requestHeaders('POST', { contentType }, true)))
      xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onerror = () =>
      reject(
        new ApiError({
          type: 'about:blank',
          title: 'Network error',
          status: 0,
          detail: 'The upload could not reach the server.',
        }),
      );
    xhr.onload = () => {
      const type = xhr.getResponseHeader('content-type') ?? '';
      const headers = new Headers(type ? { 'content-type': type } : {});
      const res = new Response(xhr.status === 204 ? null : xhr.responseText, {
        status: xhr.status,
        statusText: xhr.statusText,
        headers,
      });
      onProgress(1);
      handleResponse(res).then(resolve, reject);
    };
    xhr.send(body);
  });
}
