/** Plain building blocks of the e-mails we send: escaped HTML in a branded frame, and its text twin. */

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text made safe for HTML content and attribute values. */
export const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** The workspace's brand as mail shows it. */
export interface MailBrand {
  name: string;
  /** `#rrggbb`; a neutral blue without branding. */
  color: string;
  /** Absolute URL of the workspace logo (public, GET /api/v1/tenant/logo), when it has one. */
  logoUrl?: string | null;
}

/** The brand of a workspace from its name and branding settings (and its logo's URL, if any). */
export function mailBrand(
  name: string,
  branding: Record<string, unknown>,
  logoUrl: string | null = null,
): MailBrand {
  const color = branding.primaryColor;
  return {
    name,
    color: typeof color === 'string' && /^#[0-9a-f]{6}$/i.test(color) ? color : '#2457c5',
    logoUrl,
  };
}

/** A whole HTML message: the brand's name in its colour, then `bodyHtml` (already escaped). */
export function brandedHtml(brand: MailBrand, bodyHtml: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"></head>
<body style="margin:0;padding:24px;background:#f4f5f7;font-family:Arial,Helvetica,sans-serif;color:#1d2330">
<table role="presentation" width="100%" style="max-width:640px;margin:0 auto;background:#ffffff;border-radius:6px;border-top:4px solid ${brand.color}">
<tr><td style="padding:24px">
${brand.logoUrl ? `<img src="${escapeHtml(brand.logoUrl)}" alt="${escapeHtml(brand.name)} logo" height="48" style="display:block;height:48px;max-width:200px;margin-bottom:8px">` : ''}<div style="font-size:18px;font-weight:bold;color:${brand.color};margin-bottom:16px">${escapeHtml(brand.name)}</div>
${bodyHtml}
</td></tr></table>
</body></html>`;
}

/** A button-like link (escaped). */
export const linkButton = (href: string, label: string, color: string) =>
  `<p><a href="${escapeHtml(href)}" style="display:inline-block;padding:10px 16px;background:${color};color:#ffffff;text-decoration:none;border-radius:4px">${escapeHtml(label)}</a></p>`;

/** One paragraph of escaped text. */
export const paragraph = (text: string) => `<p style="line-height:1.5">${escapeHtml(text)}</p>`;
