import type { Tx } from '../../data/database.ts';
import type { Annotation } from '../../../shared/schemas/annotations.ts';
import type { ReportPeriod } from '../../../shared/schemas/report-period.ts';
import type { RoiReport } from '../../../shared/schemas/roi.ts';
import type { Branding } from '../../../shared/schemas/tenants.ts';
import { listAnnotations } from '../annotations/annotations.ts';
import type { TenantInfo } from '../principal.ts';
import { brandName, presentBranding, readTenantLogo, type LogoImage } from '../tenants/branding.ts';
import { periodLabel } from './period-label.ts';
import { addDays, daysBetween } from './periods.ts';
import type { PdfInput } from './report-pdf.ts';
import { buildRoiReport } from './roi-report.ts';

/** A site as a client-facing report names it. */
export interface ReportSite {
  id: string;
  name: string;
  domain: string;
}

/**
 * Everything a client-facing report shows (the share page, its PDF, the dashboard's PDF, a report
 * e-mail), read in one transaction; rendering happens after it.
 */
export interface ReportDocument {
  branding: Branding & { name: string };
  period: ReportPeriod | null;
  sites: ReportSite[];
  /** Over the period, with `comparison` over as many days just before it. */
  report: RoiReport;
  /** The same figures per site. */
  siteReport: RoiReport;
  annotations: Annotation[];
  logo: LogoImage | null;
}

/** The ROI report of some sites, with `comparison` over the same number of days just before. */
export async function buildComparedReport(
  tx: Tx,
  tenant: Pick<TenantInfo, 'id' | 'currency'>,
  sites: { id: string; name: string }[],
  range: { from: string; to: string },
): Promise<{ report: RoiReport; siteReport: RoiReport }> {
  const days = daysBetween(range.from, range.to) + 1;
  const groupBy = days <= 62 ? 'day' : days <= 190 ? 'week' : 'month';
  const previous = { from: addDays(range.from, -days), to: addDays(range.from, -1) };
  const report = await buildRoiReport(tx, tenant.id, sites, range, groupBy, tenant.currency);
  const before = await buildRoiReport(tx, tenant.id, sites, previous, 'month', tenant.currency);
  const siteReport = await buildRoiReport(tx, tenant.id, sites, range, 'site', tenant.currency);
  const compared = report as RoiReport & { comparison?: unknown };
  compared.comparison ??= { from: previous.from, to: previous.to, totals: before.totals };
  return { report: compared, siteReport };
}

/**
 * Reads a report document over the given sites (already checked against the reader) and range:
 * the workspace's branding, the report with its comparison, per-site figures, the annotations of
 * those sites and the workspace-wide ones in the range, and the logo when asked (for a PDF).
 */
export async function readReportDocument(
  tx: Tx,
  tenant: TenantInfo,
  sites: ReportSite[],
  range: { from: string; to: string },
  options: { period?: ReportPeriod | null; withLogo?: boolean } = {},
): Promise<ReportDocument> {
  const { report, siteReport } = await buildComparedReport(tx, tenant, sites, range);
  const annotations =
    sites.length === 0
      ? []
      : await listAnnotations(tx, tenant.id, {
          siteIds: sites.map((s) => s.id),
          from: range.from,
          to: range.to,
        });
  return {
    branding: { ...presentBranding(tenant), name: brandName(tenant) },
    period: options.period ?? null,
    sites,
    report,
    siteReport,
    annotations,
    logo: options.withLogo ? await readTenantLogo(tx, tenant.id) : null,
  };
}

/** The PDF renderer's input from a report document. */
export function reportPdfInput(doc: ReportDocument): PdfInput {
  const bySite = new Map(doc.siteReport.series.map((s) => [s.key, s]));
  return {
    report: doc.report,
    branding: doc.branding,
    logo: doc.logo,
    sites: doc.sites.map((s) => ({ ...s, totals: bySite.get(s.id) ?? null })),
    annotations: doc.annotations,
    periodLabel: periodLabel(doc.period, doc.report),
  };
}
