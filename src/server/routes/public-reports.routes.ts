import {
  PublicReport,
  PublicReportQuery,
  ReportTokenParams,
  UnlockReportBody,
} from '../../shared/schemas/report-links.ts';
import { verifyPassword } from '../domain/accounts/passwords.ts';
import {
  findSharedLink,
  isUnlocked,
  presentSharedReport,
  readSharedReport,
  UNLOCK_MAX_FAILURES,
  UNLOCK_TTL_SECONDS,
  UNLOCK_WINDOW_SECONDS,
  unlockCookieValue,
  unlockFailureKey,
} from '../domain/report-links/shared-report.ts';
import { reportPdfInput } from '../domain/reports/report-document.ts';
import { renderRoiReportPdf } from '../domain/reports/report-pdf.ts';
import { inTransaction } from '../data/scoped-transaction.ts';
import { defineRoute } from '../http/define-route.ts';
import { AppError } from '../errors.ts';

/** The cookie that unlocks one link; scoped to that link's API path, so it unlocks nothing else. */
export const UNLOCK_COOKIE = 'report_unlock';
const reportPath = (token: string) => `/api/v1/public/reports/${token}`;

/** Unknown, revoked and expired links (and malformed tokens) are the same 404. */
const gone = () => new AppError('not_found', 'Not found');

/** A shared report never lands in a shared cache, and its URL (the token) is never sent on. */
const PRIVATE_HEADERS = {
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Robots-Tag': 'noindex, nofollow',
};

export const publicReportRoutes = [
  defineRoute({
    method: 'get',
    path: '/api/v1/public/reports/:token',
    tag: 'Shared reports',
    summary: 'Read a shared report',
    description:
      "Public, no session: the link's branding, sites, ROI report over its period (a preset resolved in the workspace time zone now) with compare=previous, per-site figures and annotations; `format=pdf` for the PDF. A revoked, expired or unknown link is the same 404. A link with a password is 401 until POST …/unlock has set its cookie. Each successful read counts as a view.",
    params: ReportTokenParams,
    query: PublicReportQuery,
    responses: {
      200: {
        description: 'The shared report (JSON, or application/pdf with format=pdf)',
        schema: PublicReport,
      },
    },
    genericPlans: true,
    async handler(ctx, { params, query }) {
      const link = await findSharedLink(ctx.tx, params.token);
      if (!link) throw gone();
      const key = ctx.services.encryptionKey;
      if (!isUnlocked(key, link, ctx.req.cookies?.[UNLOCK_COOKIE])) {
        throw new AppError('unauthenticated', 'This report needs its password', {
          extensions: { passwordRequired: true },
          headers: PRIVATE_HEADERS,
        });
      }
      const pdf = query.format === 'pdf';
      const data = await readSharedReport(ctx.tx, link, { withLogo: pdf, countView: true });
      if (!pdf) return { status: 200, headers: PRIVATE_HEADERS, body: presentSharedReport(data) };
      return {
        status: 200,
        headers: {
          ...PRIVATE_HEADERS,
          'Content-Type': 'application/pdf',
          'Content-Disposition': `attachment; filename="roi-report-${data.report.from}-${data.report.to}.pdf"`,
        },
        // Rendered once the transaction has committed.
        render: () => renderRoiReportPdf(reportPdfInput(data)),
      };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/public/reports/:token/unlock',
    tag: 'Shared reports',
    summary: 'Unlock a shared report',
    description: `Checks the link's password and sets a cookie (HttpOnly, SameSite=Lax, its path that link's own) that unlocks it for ${UNLOCK_TTL_SECONDS / 3600} hours. A wrong password is 401; after ${UNLOCK_MAX_FAILURES} wrong passwords within a minute every attempt on the link, right or wrong, is 429 with Retry-After until the minute has passed (whatever RATE_LIMIT_RPM says). A link without a password answers 204 and sets nothing.`,
    params: ReportTokenParams,
    body: UnlockReportBody,
    responses: { 204: { description: 'Unlocked (the cookie is set)' } },
    async prepare(ctx, { params, body }) {
      const { database, rateLimiter } = ctx.services;
      const link = await inTransaction(database, {}, (tx) => findSharedLink(tx, params.token));
      if (!link) throw gone();
      if (!link.passwordHash) return { cookie: null };
      const failures = unlockFailureKey(link.id);
      const seen = await rateLimiter.peek(failures);
      if (seen.count >= UNLOCK_MAX_FAILURES) {
        throw new AppError('rate_limited', 'Too many wrong passwords; retry later', {
          headers: { 'Retry-After': String(seen.retryAfter) },
        });
      }
      if (!(await verifyPassword(link.passwordHash, body.password))) {
        await rateLimiter.hit(failures, UNLOCK_MAX_FAILURES, UNLOCK_WINDOW_SECONDS);
        throw new AppError('unauthenticated', 'Wrong password');
      }
      return { cookie: unlockCookieValue(ctx.services.encryptionKey, link) };
    },
    async handler(ctx, { params, prepared }) {
      if (prepared.cookie) {
        ctx.res.cookie(UNLOCK_COOKIE, prepared.cookie, {
          httpOnly: true,
          sameSite: 'lax',
          secure: ctx.services.config.appUrl.startsWith('https:'),
          path: reportPath(params.token),
          maxAge: UNLOCK_TTL_SECONDS * 1000,
        });
      }
      return { status: 204, headers: PRIVATE_HEADERS };
    },
  }),
];
