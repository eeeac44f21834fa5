import type { Tx } from '../../data/database.ts';
import type { ReportPeriod } from '../../../shared/schemas/report-period.ts';
import type { TenantInfo } from '../principal.ts';
import { brandedHtml, escapeHtml, linkButton, mailBrand, paragraph } from '../mail/compose.ts';
import { periodLabel } from '../reports/period-label.ts';
import { resolvePeriod } from '../reports/period-presets.ts';
import { formatMoney, formatRoi } from '../reports/report-pdf.ts';
import { readReportDocument, type ReportDocument } from '../reports/report-document.ts';
import { logoPath } from '../tenants/branding.ts';
import { TENANT_COLUMNS, tenantInfoFromRow } from '../tenants/tenants.ts';

/** A schedule as the mail builder needs it. */
export interface ScheduleForMail {
  id: string;
  name: string;
  site_ids: string[];
  period: ReportPeriod;
}

/** What a report e-mail says: its subject, bodies and the report it was built from. */
export interface ReportMail {
  tenant: TenantInfo;
  doc: ReportDocument;
  range: { from: string; to: string };
  subject: string;
  text: string;
  html: string;
}

/** The workspace as a report reads it (worker transactions have no request tenant). */
export async function readTenantInfo(tx: Tx, tenantId: string): Promise<TenantInfo> {
  const row = await tx
    .selectFrom('tenants')
    .select(TENANT_COLUMNS)
    .where('id', '=', tenantId)
    .executeTakeFirstOrThrow();
  return tenantInfoFromRow(row);
}

type Figures = {
  revenue: number;
  cost: number;
  profit: number;
  roi: number | null;
  value?: number;
};

/** "+12.5%" from `before` to `now`, or a word when there is nothing to compare with. */
function change(now: number, before: number | undefined): string {
  if (before === undefined) return '';
  if (before === 0) return now === 0 ? ' (no change)' : ' (new)';
  const pct = ((now - before) / Math.abs(before)) * 100;
  return ` (${pct >= 0 ? '+' : ''}${pct.toFixed(1)}% vs previous period)`;
}

function roiChange(now: number | null, before: number | null | undefined): string {
  if (before === undefined || now === null || before === null) return '';
  const pts = (now - before) * 100;
  return ` (${pts >= 0 ? '+' : ''}${pts.toFixed(1)} pts vs previous period)`;
}

/** The KPI lines of a report: value, cost, profit and ROI, each against the previous period. */
export function kpiLines(doc: ReportDocument): { label: string; value: string; change: string }[] {
  const t = doc.report.totals as Figures;
  const comparison = (doc.report as { comparison?: { totals: Figures } | null }).comparison;
  const b = comparison?.totals;
  const currency = doc.report.currency;
  const value = t.value ?? t.revenue;
  return [
    {
      label: 'Value',
      value: formatMoney(value, currency),
      change: change(value, b ? (b.value ?? b.revenue) : undefined),
    },
    { label: 'Cost', value: formatMoney(t.cost, currency), change: change(t.cost, b?.cost) },
    {
      label: 'Profit',
      value: formatMoney(t.profit, currency),
      change: change(t.profit, b?.profit),
    },
    { label: 'ROI', value: formatRoi(t.roi), change: roiChange(t.roi, b ? b.roi : undefined) },
  ];
}

/**
 * Reads a schedule's report over its period (resolved in the tenant's time zone at `now`, with
 * the previous period for comparison) and writes the e-mail: branded, the KPIs in the body, a
 * link to the report in the app (recipients sign in to open it; a share link is the way to
 * reach people without an account). Runs in a transaction: database reads only.
 */
export async function composeReportMail(
  tx: Tx,
  tenantId: string,
  schedule: ScheduleForMail,
  options: { now: Date; appUrl: string; withLogo?: boolean },
): Promise<ReportMail> {
  const tenant = await readTenantInfo(tx, tenantId);
  const range = resolvePeriod(schedule.period, tenant.timezone, options.now);
  const sites = schedule.site_ids.length
    ? await tx
        .selectFrom('sites')
        .select(['id', 'name', 'domain'])
        .where('tenant_id', '=', tenantId)
        .where('id', 'in', schedule.site_ids)
        .orderBy('name')
        .execute()
    : [];
  const doc = await readReportDocument(tx, tenant, sites, range, {
    period: schedule.period,
    withLogo: options.withLogo ?? false,
  });
  const label = periodLabel(schedule.period, range);
  // The logo as the public route serves it (mail clients fetch it; a message cannot embed it
  // for every client, and the route is public for that reason).
  const logo = logoPath(tenant);
  const brand = mailBrand(doc.branding.name, tenant.branding, logo && `${options.appUrl}${logo}`);
  const query = new URLSearchParams({ period: 'custom', from: range.from, to: range.to });
  if (sites.length === 1) query.set('site', sites[0]!.id);
  const link = `${options.appUrl}/w/${encodeURIComponent(tenant.subdomain)}?${query}`;
  const kpis = kpiLines(doc);
  const siteNames = sites.map((s) => `${s.name} (${s.domain})`).join(', ') || 'no sites';
  const subject = `${schedule.name}: ${label}`;
  const text = [
    `${doc.branding.name} — ${schedule.name}`,
    `${label}, ${siteNames}`,
    '',
    ...kpis.map((k) => `${k.label}: ${k.value}${k.change}`),
    '',
    'ROI = (value − cost) / cost. Value is the revenue credited to SEO (after attribution); cost is the services over the period, by day.',
    '',
    `Open the report: ${link}`,
    '',
  ].join('\n');
  const rows = kpis
    .map(
      (k) =>
        `<tr><td style="padding:6px 12px 6px 0;color:#5b6475">${escapeHtml(k.label)}</td><td style="padding:6px 0;font-size:18px;font-weight:bold">${escapeHtml(k.value)}</td><td style="padding:6px 0 6px 12px;color:#5b6475">${escapeHtml(k.change.trim())}</td></tr>`,
    )
    .join('');
  const html = brandedHtml(
    brand,
    paragraph(`${schedule.name} — ${label}`) +
      paragraph(siteNames) +
      `<table role="presentation" style="border-collapse:collapse;margin:12px 0">${rows}</table>` +
      linkButton(link, 'Open the report', brand.color) +
      `<p style="color:#5b6475;font-size:12px">ROI = (value − cost) / cost. Value is the revenue credited to SEO (after attribution); cost is the services over the period, by day.</p>`,
  );
  return { tenant, doc, range, subject, text, html };
}
