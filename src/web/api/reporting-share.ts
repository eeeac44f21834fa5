import type { z } from 'zod';
import { Page } from '../../shared/schemas/common.ts';
import type { PublicReport } from '../../shared/schemas/report-links.ts';
import {
  ReportLink,
  type CreateReportLinkBody,
  type UpdateReportLinkBody,
} from '../../shared/schemas/report-links.ts';
import type { TenantLogo } from '../../shared/schemas/tenants.ts';
import { ApiError, toProblem } from './problem.ts';
import { download, request, requestAs, requestHeaders } from './http.ts';

/** Branding, shared report links and the public report page (contract: Client reporting). */

export type ReportLinkT = z.output<typeof ReportLink>;
export type PublicReportT = z.output<typeof PublicReport>;

/** Uploads the workspace logo (the file's own type: PNG, JPEG or WebP). */
export async function uploadLogo(file: Blob): Promise<z.output<typeof TenantLogo>> {
  const res = await fetch('/api/v1/tenant/logo', {
    method: 'PUT',
    credentials: 'same-origin',
    headers: requestHeaders('PUT', { contentType: file.type || 'application/octet-stream' }, true),
    body: file,
  });
  const text = await res.text();
  const body: unknown = text ? JSON.parse(text) : undefined;
  if (!res.ok) throw new ApiError(toProblem(res.status, res.statusText, body));
  return body as z.output<typeof TenantLogo>;
}

export const deleteLogo = () => request('/tenant/logo', { method: 'DELETE' });

export const listReportLinks = (query: { siteId?: string; cursor?: string | null } = {}) =>
  requestAs(Page(ReportLink), '/report-links', {
    query: { limit: 200, siteId: query.siteId, cursor: query.cursor ?? undefined },
  });
export const createReportLink = (body: z.input<typeof CreateReportLinkBody>) =>
  requestAs(ReportLink, '/report-links', { method: 'POST', body });
export const updateReportLink = (id: string, body: z.input<typeof UpdateReportLinkBody>) =>
  requestAs(ReportLink, `/report-links/${id}`, { method: 'PATCH', body });
export const revokeReportLink = (id: string) =>
  request(`/report-links/${id}`, { method: 'DELETE' });

/** The ROI report of the dashboard or a site as a PDF file. */
export const downloadReportPdf = (query: { from?: string; to?: string; siteId?: string[] }) =>
  download('/reports/roi', { ...query, format: 'pdf' }, 'roi-report.pdf');

/** The public report path of a link (its unlock cookie is scoped to it). */
export const publicReportPath = (token: string) =>
  `/api/v1/public/reports/${encodeURIComponent(token)}`;

/**
 * Reads a shared report with no session and no workspace header: the link is the credential.
 * Answers `locked` while the link needs its password, `gone` for an unknown, revoked or expired one.
 */
export async function fetchPublicReport(
  token: string,
  signal?: AbortSignal,
): Promise<{ status: 'ok'; report: PublicReportT } | { status: 'locked' | 'gone' }> {
  const res = await fetch(publicReportPath(token), {
    credentials: 'same-origin',
    headers: { Accept: 'application/json' },
    signal,
  });
  if (res.status === 401) return { status: 'locked' };
  if (res.status === 404) return { status: 'gone' };
  const text = await res.text();
  const body: unknown = text ? JSON.parse(text) : undefined;
  if (!res.ok) throw new ApiError(toProblem(res.status, res.statusText, body));
  return { status: 'ok', report: body as PublicReportT };
}

/** Sends a link's password; the server sets the cookie that unlocks that link. */
export async function unlockPublicReport(token: string, password: string): Promise<void> {
  const res = await fetch(`${publicReportPath(token)}/unlock`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { ...requestHeaders('POST', { noTenant: true }, true), Accept: 'application/json' },
    body: JSON.stringify({ password }),
  });
  if (res.ok) return;
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  const problem = toProblem(res.status, res.statusText, body);
  const retry = res.headers.get('retry-after');
  if (res.status === 429 && retry) {
    problem.detail = `Too many wrong passwords. Try again in ${retry} seconds.`;
  }
  throw new ApiError(problem);
}
