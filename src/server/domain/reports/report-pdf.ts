import PDFDocument from 'pdfkit';
import sharp from 'sharp';

/**
 * The ROI report as a PDF (pdfkit): branding, period, KPIs with the comparison, the value-versus-
 * cost chart drawn as vector paths, the per-site table, annotations and how ROI is computed. The
 * text is real text (searchable, copyable). Pure: it reads nothing, so the share page, the
 * dashboard and scheduled e-mails render the same document from data read beforehand, outside
 * any transaction.
 */

/** The figures the PDF shows of a report bucket (`value` falls back to revenue when absent). */
export interface PdfFigures {
  revenue: number;
  value?: number;
  cost: number;
  profit: number;
  roi: number | null;
}

export interface PdfReport {
  currency: string;
  from: string;
  to: string;
  totals: PdfFigures;
  series: (PdfFigures & { key: string; label: string })[];
  comparison?: { from: string; to: string; totals: PdfFigures } | null;
}

export interface PdfInput {
  report: PdfReport;
  branding: { name: string; primaryColor?: string | null; reportTitle?: string | null };
  /** PNG or JPEG bytes are drawn as they are; WebP (no PDF image type) is drawn as PNG. */
  logo: { contentType: string; bytes: Buffer } | null;
  /** The report's sites, each with its own totals when known (the per-site table). */
  sites: { id: string; name: string; domain?: string; totals?: PdfFigures | null }[];
  annotations: { date: string; title: string; note?: string | null }[];
  /** e.g. "Last 90 days (2026-09-08 – 2026-12-06)". */
  periodLabel: string;
}

const DEFAULT_COLOUR = '#1f6feb';
const COST_COLOUR = '#9aa4b2';
const TEXT = '#1b1f24';
const MUTED = '#57606a';
const PAGE_MARGIN = 48;

const valueOf = (f: PdfFigures) => f.value ?? f.revenue;

/** Money in the report's currency; the code instead of a symbol the standard fonts lack. */
export function formatMoney(minor: number, currency: string): string {
  let text: string;
  try {
    text = new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(minor / 100);
  } catch {
    text = `${currency} ${(minor / 100).toFixed(2)}`;
  }
  // Helvetica (WinAnsi) has $, £, €, ¥; anything else is spelt as the ISO code.
  if (/[^\u0020-\u007e\u00a0-\u00ff\u20ac]/.test(text)) {
    text = new Intl.NumberFormat('en-US', {
      style: 'currency',
      currency,
      currencyDisplay: 'code',
    }).format(minor / 100);
  }
  return text.replace(/\u00a0/g, ' ');
}

export const formatRoi = (roi: number | null) =>
  roi === null ? 'n/a' : `${(roi * 100).toFixed(1)}%`;

function change(now: number, before: number): string {
  if (before === 0) return now === 0 ? 'no change' : 'new';
  const pct = ((now - before) / Math.abs(before)) * 100;
  return `${pct >= 0 ? '+' : ''}${pct.toFixed(1)}%`;
}

function roiChange(now: number | null, before: number | null): string {
  if (now === null || before === null) return 'n/a';
  const pts = (now - before) * 100;
  return `${pts >= 0 ? '+' : ''}${pts.toFixed(1)} pts`;
}

/** A compact money label for chart axes (12.3k). */
function axisMoney(minor: number): string {
  const major = minor / 100;
  const abs = Math.abs(major);
  if (abs >= 1e6) return `${(major / 1e6).toFixed(1)}M`;
  if (abs >= 1e3) return `${(major / 1e3).toFixed(abs >= 1e4 ? 0 : 1)}k`;
  return major.toFixed(0);
}

/**
 * The logo as PNG or JPEG bytes pdfkit can draw: PDF has no WebP image type, so a WebP logo is
 * converted to PNG (sharp); null for an image that cannot be read (the name alone brands it).
 */
async function drawableLogo(logo: PdfInput['logo']): Promise<Buffer | null> {
  if (!logo) return null;
  if (logo.contentType === 'image/png' || logo.contentType === 'image/jpeg') return logo.bytes;
  if (logo.contentType !== 'image/webp') return null;
  try {
    return await sharp(logo.bytes, { limitInputPixels: 4096 * 4096 })
      .png()
      .toBuffer();
  } catch {
    return null;
  }
}

/** Renders the report; resolves with the PDF's bytes. */
export async function renderRoiReportPdf(input: PdfInput): Promise<Buffer> {
  const logo = await drawableLogo(input.logo);
  const colour = /^#[0-9a-fA-F]{6}$/.test(input.branding.primaryColor ?? '')
    ? input.branding.primaryColor!
    : DEFAULT_COLOUR;
  const doc = new PDFDocument({
    size: 'A4',
    margin: PAGE_MARGIN,
    info: {
      Title: `${input.branding.reportTitle ?? 'ROI report'} - ${input.branding.name}`,
      Author: input.branding.name,
      Subject: input.periodLabel,
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  try {
    drawHeader(doc, input, colour, logo);
    drawKpis(doc, input, colour);
    drawChart(doc, input, colour);
    drawSiteTable(doc, input);
    drawAnnotations(doc, input);
    drawMethod(doc, input);
  } finally {
    doc.end();
  }
  return done;
}

type Doc = PDFKit.PDFDocument;

const contentWidth = (doc: Doc) => doc.page.width - PAGE_MARGIN * 2;

function ensureSpace(doc: Doc, height: number) {
  if (doc.y + height > doc.page.height - PAGE_MARGIN) doc.addPage();
}

function drawHeader(doc: Doc, input: PdfInput, colour: string, logo: Buffer | null) {
  const top = PAGE_MARGIN;
  doc.rect(0, 0, doc.page.width, 8).fill(colour);
  let textX = PAGE_MARGIN;
  if (logo) {
    try {
      doc.image(logo, PAGE_MARGIN, top, { fit: [120, 48] });
      textX = PAGE_MARGIN + 132;
    } catch {
      // An image pdfkit cannot read: the name alone brands the report.
    }
  }
  doc
    .fillColor(TEXT)
    .font('Helvetica-Bold')
    .fontSize(18)
    .text(input.branding.name, textX, top, { width: contentWidth(doc) - (textX - PAGE_MARGIN) });
  doc
    .font('Helvetica')
    .fontSize(12)
    .fillColor(MUTED)
    .text(input.branding.reportTitle ?? 'ROI report', textX, doc.y + 2)
    .text(input.periodLabel, textX, doc.y + 2);
  doc.y = Math.max(doc.y, top + 52) + 16;
  doc.x = PAGE_MARGIN;
}

function drawKpis(doc: Doc, input: PdfInput, colour: string) {
  const { totals, comparison, currency } = input.report;
  const before = comparison?.totals ?? null;
  const cards: { label: string; value: string; delta: string | null }[] = [
    {
      label: 'Value',
      value: formatMoney(valueOf(totals), currency),
      delta: before ? change(valueOf(totals), valueOf(before)) : null,
    },
    {
      label: 'Cost',
      value: formatMoney(totals.cost, currency),
      delta: before ? change(totals.cost, before.cost) : null,
    },
    {
      label: 'Profit',
      value: formatMoney(totals.profit, currency),
      delta: before ? change(totals.profit, before.profit) : null,
    },
    {
      label: 'ROI',
      value: formatRoi(totals.roi),
      delta: before ? roiChange(totals.roi, before.roi) : null,
    },
  ];
  const gap = 10;
  const width = (contentWidth(doc) - gap * 3) / 4;
  const top = doc.y;
  cards.forEach((card, i) => {
    const x = PAGE_MARGIN + i * (width + gap);
    doc.roundedRect(x, top, width, 66, 6).lineWidth(1).strokeColor('#d0d7de').stroke();
    doc.rect(x, top, 4, 66).fill(colour);
    doc
      .fillColor(MUTED)
      .font('Helvetica')
      .fontSize(9)
      .text(card.label, x + 12, top + 9);
    doc
      .fillColor(TEXT)
      .font('Helvetica-Bold')
      .fontSize(13)
      .text(card.value, x + 12, top + 24, { width: width - 18 });
    if (card.delta) {
      doc
        .fillColor(MUTED)
        .font('Helvetica')
        .fontSize(8)
        .text(`${card.delta} vs previous period`, x + 12, top + 46, { width: width - 18 });
    }
  });
  doc.y = top + 66 + 8;
  doc.x = PAGE_MARGIN;
  if (comparison) {
    doc
      .fillColor(MUTED)
      .font('Helvetica')
      .fontSize(8)
      .text(
        `Previous period: ${comparison.from} to ${comparison.to} - value ${formatMoney(valueOf(comparison.totals), currency)}, cost ${formatMoney(comparison.totals.cost, currency)}, ROI ${formatRoi(comparison.totals.roi)}.`,
      );
  }
  doc.moveDown(1);
}

function drawChart(doc: Doc, input: PdfInput, colour: string) {
  const { series } = input.report;
  ensureSpace(doc, 230);
  doc.fillColor(TEXT).font('Helvetica-Bold').fontSize(12).text('Value versus cost');
  const top = doc.y + 8;
  const left = PAGE_MARGIN + 44;
  const width = contentWidth(doc) - 44;
  const height = 150;
  const bottom = top + height;
  const values = series.flatMap((s) => [valueOf(s), s.cost]);
  const max = Math.max(0, ...values);
  const min = Math.min(0, ...values);
  const span = max - min || 1;
  const y = (v: number) => bottom - ((v - min) / span) * height;

  // Grid and axis labels.
  doc.font('Helvetica').fontSize(7).fillColor(MUTED);
  for (let i = 0; i <= 4; i++) {
    const v = min + (span * i) / 4;
    doc
      .moveTo(left, y(v))
      .lineTo(left + width, y(v))
      .lineWidth(0.5)
      .strokeColor('#e5e8eb')
      .stroke();
    doc.text(axisMoney(v), PAGE_MARGIN, y(v) - 3, { width: 40, align: 'right' });
  }
  doc
    .moveTo(left, y(0))
    .lineTo(left + width, y(0))
    .lineWidth(0.8)
    .strokeColor('#8c959f')
    .stroke();

  const n = Math.max(1, series.length);
  const slot = width / n;
  if (n <= 36) {
    const bar = Math.max(1, slot * 0.35);
    series.forEach((s, i) => {
      const x = left + i * slot + slot * 0.15;
      const v = valueOf(s);
      doc.rect(x, Math.min(y(v), y(0)), bar, Math.abs(y(v) - y(0))).fill(colour);
      doc
        .rect(x + bar, Math.min(y(s.cost), y(0)), bar, Math.abs(y(s.cost) - y(0)))
        .fill(COST_COLOUR);
    });
  } else {
    const line = (pick: (s: PdfFigures) => number, stroke: string) => {
      series.forEach((s, i) => {
        const px = left + i * slot + slot / 2;
        if (i === 0) doc.moveTo(px, y(pick(s)));
        else doc.lineTo(px, y(pick(s)));
      });
      doc.lineWidth(1.5).strokeColor(stroke).stroke();
    };
    line(valueOf, colour);
    line((s) => s.cost, COST_COLOUR);
  }

  // Annotation markers: a dashed line at the bucket of each annotation, numbered as in the list.
  input.annotations.forEach((a, i) => {
    const index = series.findIndex(
      (s, j) => s.key <= a.date.slice(0, s.key.length) && (series[j + 1]?.key ?? '\uffff') > a.date,
    );
    const at = index >= 0 ? index : series.findIndex((s) => a.date.startsWith(s.key));
    if (at < 0) return;
    const px = left + at * slot + slot / 2;
    doc
      .moveTo(px, top)
      .lineTo(px, bottom)
      .dash(2, { space: 2 })
      .lineWidth(0.7)
      .strokeColor('#bf8700')
      .stroke()
      .undash();
    doc
      .fillColor('#bf8700')
      .fontSize(7)
      .text(String(i + 1), px + 2, top, { lineBreak: false });
  });

  // X labels: at most 12, evenly spread.
  doc.fillColor(MUTED).fontSize(7);
  const step = Math.ceil(n / 12);
  series.forEach((s, i) => {
    if (i % step !== 0) return;
    doc.text(s.label, left + i * slot, bottom + 4, {
      width: slot * step,
      align: 'left',
      lineBreak: false,
    });
  });
  // Legend.
  const legendY = bottom + 18;
  doc.rect(left, legendY, 8, 8).fill(colour);
  doc
    .fillColor(TEXT)
    .fontSize(8)
    .text('Value', left + 12, legendY, { lineBreak: false });
  doc.rect(left + 60, legendY, 8, 8).fill(COST_COLOUR);
  doc.fillColor(TEXT).text('Cost', left + 72, legendY, { lineBreak: false });
  doc.x = PAGE_MARGIN;
  doc.y = legendY + 22;
}

function drawSiteTable(doc: Doc, input: PdfInput) {
  const { currency } = input.report;
  ensureSpace(doc, 60);
  doc.fillColor(TEXT).font('Helvetica-Bold').fontSize(12).text('Per site', PAGE_MARGIN);
  doc.moveDown(0.4);
  const cols = [
    { label: 'Site', width: 0.34, align: 'left' as const },
    { label: 'Value', width: 0.17, align: 'right' as const },
    { label: 'Cost', width: 0.17, align: 'right' as const },
    { label: 'Profit', width: 0.17, align: 'right' as const },
    { label: 'ROI', width: 0.15, align: 'right' as const },
  ];
  const total = contentWidth(doc);
  const row = (cells: string[], bold: boolean) => {
    ensureSpace(doc, 18);
    const top = doc.y;
    let x = PAGE_MARGIN;
    doc
      .font(bold ? 'Helvetica-Bold' : 'Helvetica')
      .fontSize(9)
      .fillColor(TEXT);
    cells.forEach((cell, i) => {
      const w = cols[i]!.width * total;
      doc.text(cell, x + 2, top, {
        width: w - 4,
        align: cols[i]!.align,
        lineBreak: false,
        ellipsis: true,
      });
      x += w;
    });
    doc
      .moveTo(PAGE_MARGIN, top + 13)
      .lineTo(PAGE_MARGIN + total, top + 13)
      .lineWidth(0.5)
      .strokeColor('#e5e8eb')
      .stroke();
    doc.x = PAGE_MARGIN;
    doc.y = top + 17;
  };
  row(
    cols.map((c) => c.label),
    true,
  );
  for (const site of input.sites) {
    const t = site.totals;
    row(
      [
        site.domain ? `${site.name} (${site.domain})` : site.name,
        t ? formatMoney(valueOf(t), currency) : '-',
        t ? formatMoney(t.cost, currency) : '-',
        t ? formatMoney(t.profit, currency) : '-',
        t ? formatRoi(t.roi) : '-',
      ],
      false,
    );
  }
  const all = input.report.totals;
  row(
    [
      'All sites',
      formatMoney(valueOf(all), currency),
      formatMoney(all.cost, currency),
      formatMoney(all.profit, currency),
      formatRoi(all.roi),
    ],
    true,
  );
  doc.moveDown(1);
}

function drawAnnotations(doc: Doc, input: PdfInput) {
  ensureSpace(doc, 40);
  doc.fillColor(TEXT).font('Helvetica-Bold').fontSize(12).text('Annotations', PAGE_MARGIN);
  doc.moveDown(0.3).font('Helvetica').fontSize(9);
  if (input.annotations.length === 0) {
    doc.fillColor(MUTED).text('No annotations in this period.');
  }
  input.annotations.forEach((a, i) => {
    ensureSpace(doc, 14);
    doc
      .fillColor(TEXT)
      .text(`${i + 1}. ${a.date}  ${a.title}${a.note ? ` - ${a.note}` : ''}`, PAGE_MARGIN, doc.y, {
        width: contentWidth(doc),
      });
  });
  doc.moveDown(1);
}

function drawMethod(doc: Doc, input: PdfInput) {
  ensureSpace(doc, 50);
  doc
    .fillColor(TEXT)
    .font('Helvetica-Bold')
    .fontSize(10)
    .text('How ROI is calculated', PAGE_MARGIN);
  doc
    .font('Helvetica')
    .fontSize(8.5)
    .fillColor(MUTED)
    .text(
      `ROI = (value - cost) / cost. Value is the revenue credited to SEO (revenue and conversions times their value, times the share credited to SEO and the gross margin, less the baseline before the engagement); cost is the fees for the services delivered in the period, accrued by day. Amounts in ${input.report.currency}; the comparison is the same number of days just before the period.`,
      { width: contentWidth(doc) },
    );
}
