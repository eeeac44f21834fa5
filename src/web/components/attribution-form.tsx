import { useState, type FormEvent } from 'react';
import {
  getRoiReport,
  updateSiteAttribution,
  type Attribution,
  type SiteWithAttributionT,
} from '../api/endpoints.ts';
import type { FieldError } from '../api/problem.ts';
import { workedExample } from '../lib/attribution.ts';
import { daysInclusive, formatDateRange, presetRange, todayIn } from '../lib/dates.ts';
import {
  formatMoney,
  formatNumber,
  formatPercent,
  minorToInput,
  parseMoney,
} from '../lib/money.ts';
import { useResource } from '../lib/use-resource.ts';
import { useSubmit } from '../lib/use-submit.ts';
import { RoiHelp } from './roi-help.tsx';
import { Alert, Card, Field, FormActions, FormError } from './ui.tsx';

const DEFAULTS: Attribution = {
  revenueShare: 1,
  conversionValue: 0,
  grossMargin: 1,
  baseline: null,
};

const percentInput = (ratio: number) => String(Math.round(ratio * 10000) / 100);

interface FormState {
  revenueShare: string;
  conversionValue: string;
  grossMargin: string;
  useBaseline: boolean;
  baselineFrom: string;
  baselineTo: string;
}

/** The typed form as the API's attribution, or the fields that are wrong. */
function readForm(
  form: FormState,
  currency: string,
): { ok: true; value: Attribution } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const ratio = (raw: string, path: string): number => {
    const s = raw.trim().replace(',', '.');
    const n = Number(s);
    if (!/^\d+(\.\d+)?$/.test(s) || n < 0 || n > 100) {
      errors.push({ path, message: 'must be a percentage from 0 to 100' });
      return 0;
    }
    return Math.round(n * 100) / 10000;
  };
  const revenueShare = ratio(form.revenueShare, 'attribution.revenueShare');
  const grossMargin = ratio(form.grossMargin, 'attribution.grossMargin');
  const conversionValue = form.conversionValue.trim()
    ? parseMoney(form.conversionValue, currency)
    : 0;
  if (conversionValue === null)
    errors.push({
      path: 'attribution.conversionValue',
      message: `must be an amount in ${currency} such as 50.00`,
    });
  let baseline: Attribution['baseline'] = null;
  if (form.useBaseline) {
    if (!form.baselineFrom)
      errors.push({ path: 'attribution.baseline.from', message: 'choose the first day' });
    if (!form.baselineTo)
      errors.push({ path: 'attribution.baseline.to', message: 'choose the last day' });
    if (form.baselineFrom && form.baselineTo && form.baselineTo < form.baselineFrom)
      errors.push({ path: 'attribution.baseline.to', message: 'must not be before the first day' });
    baseline = { from: form.baselineFrom, to: form.baselineTo };
  }
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    value: { revenueShare, conversionValue: conversionValue ?? 0, grossMargin, baseline },
  };
}

/**
 * A site's attribution: how much of its revenue and conversions the report credits to the SEO
 * work. The formula in words, then worked through on the site's own last 30 days with the values
 * being typed, so the effect of each setting is visible before saving.
 */
export function AttributionCard({
  site,
  currency,
  timeZone,
  canEdit,
  onSaved,
}: {
  site: SiteWithAttributionT;
  currency: string;
  timeZone: string | undefined;
  canEdit: boolean;
  onSaved: () => void;
}) {
  const saved = site.attribution ?? DEFAULTS;
  const [form, setForm] = useState<FormState>({
    revenueShare: percentInput(saved.revenueShare),
    conversionValue: minorToInput(saved.conversionValue, currency),
    grossMargin: percentInput(saved.grossMargin),
    useBaseline: saved.baseline !== null,
    baselineFrom: saved.baseline?.from ?? '',
    baselineTo: saved.baseline?.to ?? '',
  });
  const [done, setDone] = useState(false);
  const period = presetRange('last_30_days', todayIn(timeZone));
  const recent = useResource(
    (signal) => getRoiReport({ ...period, groupBy: 'month', siteId: [site.id] }, signal),
    [site.id, period.from, period.to],
  );
  const submit = useSubmit(async (attribution: Attribution) => {
    await updateSiteAttribution(site.id, attribution);
    setDone(true);
    recent.reload();
    onSaved();
  });
  const baselineOk =
    form.useBaseline &&
    /^\d{4}-\d{2}-\d{2}$/.test(form.baselineFrom) &&
    /^\d{4}-\d{2}-\d{2}$/.test(form.baselineTo) &&
    form.baselineFrom <= form.baselineTo;
  const baselineReport = useResource(
    (signal) =>
      baselineOk
        ? getRoiReport(
            { from: form.baselineFrom, to: form.baselineTo, groupBy: 'month', siteId: [site.id] },
            signal,
          )
        : Promise.resolve(null),
    [site.id, baselineOk, form.baselineFrom, form.baselineTo],
  );

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    setDone(false);
    const read = readForm(form, currency);
    if (!read.ok) {
      submit.setFieldErrors(read.errors);
      return;
    }
    void submit.run(read.value);
  };
  const set = (k: keyof FormState) => (e: { target: { value: string } }) => {
    setDone(false);
    setForm((f) => ({ ...f, [k]: e.target.value }));
  };
  const money = (v: number) => formatMoney(v, currency);
  const typed = readForm(form, currency);
  const r = recent.data;
  const b = baselineReport.data;
  const example =
    typed.ok && r
      ? workedExample(
          {
            revenue: r.totals.revenue,
            conversions: r.totals.conversions,
            days: r.totals.coverage.days,
          },
          typed.value,
          b
            ? {
                revenue: b.totals.revenue,
                conversions: b.totals.conversions,
                days: daysInclusive(b.from, b.to),
              }
            : null,
        )
      : null;
  const exampleRoi =
    example && r && r.totals.cost > 0 ? (example.value - r.totals.cost) / r.totals.cost : null;

  return (
    <Card title="Attribution" className="mt">
      <p>
        Not all of a site's revenue is the SEO work's doing. These settings decide what the report
        credits to it, as <strong>value</strong>; profit and ROI are computed from value, not from
        raw revenue.
      </p>
      <p className="formula" data-testid="attribution-formula">
        Value of a day = (revenue + conversions × conversion value) × revenue share × gross margin −
        the baseline's average day
      </p>
      <form onSubmit={onSubmit} noValidate className="form" aria-label="Attribution settings">
        {done && <Alert kind="success">Attribution saved. Reports use it from now on.</Alert>}
        <FormError error={submit.error} fields={['attribution']} />
        <fieldset disabled={!canEdit} className="fieldset-plain">
          <div className="grid-2">
            <Field
              label="Revenue share (%)"
              name="attribution.revenueShare"
              errors={submit.fieldErrors}
              hint="The share of revenue credited to SEO, such as the organic share of sales. 100 credits all of it."
            >
              {(p) => (
                <input
                  {...p}
                  inputMode="decimal"
                  value={form.revenueShare}
                  onChange={set('revenueShare')}
                />
              )}
            </Field>
            <Field
              label={`Conversion value (${currency})`}
              name="attribution.conversionValue"
              errors={submit.fieldErrors}
              hint="What one conversion (a lead, a call) is worth, for sites without revenue. 0 counts none."
            >
              {(p) => (
                <input
                  {...p}
                  inputMode="decimal"
                  value={form.conversionValue}
                  onChange={set('conversionValue')}
                />
              )}
            </Field>
            <Field
              label="Gross margin (%)"
              name="attribution.grossMargin"
              errors={submit.fieldErrors}
              hint="Turns revenue into profit before fees: a shop selling at 40% margin keeps 40 of every 100."
            >
              {(p) => (
                <input
                  {...p}
                  inputMode="decimal"
                  value={form.grossMargin}
                  onChange={set('grossMargin')}
                />
              )}
            </Field>
          </div>
          <div className="checkbox">
            <input
              id={`baseline-${site.id}`}
              type="checkbox"
              checked={form.useBaseline}
              onChange={(e) => {
                setDone(false);
                setForm((f) => ({ ...f, useBaseline: e.target.checked }));
              }}
            />
            <label htmlFor={`baseline-${site.id}`}>
              Subtract a baseline: a period before the engagement whose average day is taken off
              every day (only the increase is credited)
            </label>
          </div>
          {form.useBaseline && (
            <div className="grid-2">
              <Field
                label="Baseline from"
                name="attribution.baseline.from"
                errors={submit.fieldErrors}
              >
                {(p) => (
                  <input
                    {...p}
                    type="date"
                    value={form.baselineFrom}
                    max={form.baselineTo || undefined}
                    onChange={set('baselineFrom')}
                  />
                )}
              </Field>
              <Field label="Baseline to" name="attribution.baseline.to" errors={submit.fieldErrors}>
                {(p) => (
                  <input
                    {...p}
                    type="date"
                    value={form.baselineTo}
                    min={form.baselineFrom || undefined}
                    onChange={set('baselineTo')}
                  />
                )}
              </Field>
            </div>
          )}
          {canEdit && <FormActions submitLabel="Save attribution" busy={submit.busy} />}
        </fieldset>
      </form>
      <section aria-label="Worked example" data-testid="worked-example" aria-live="polite">
        <h3>
          Worked example: the last 30 days ({formatDateRange(period.from, period.to)}) <RoiHelp />
        </h3>
        {!r ? (
          <p className="muted">Loading the last 30 days…</p>
        ) : !example ? (
          <p className="muted">Correct the settings above to see their effect.</p>
        ) : (
          <ol className="worked-example">
            <li>
              Revenue {money(r.totals.revenue)} + {formatNumber(r.totals.conversions)} conversions ×{' '}
              {money(typed.ok ? typed.value.conversionValue : 0)} ={' '}
              <strong>{money(example.gross)}</strong>
            </li>
            <li>
              × {formatPercent(typed.ok ? typed.value.revenueShare : 1)} revenue share ×{' '}
              {formatPercent(typed.ok ? typed.value.grossMargin : 1)} gross margin ={' '}
              <strong>{money(example.credited)}</strong>
            </li>
            {form.useBaseline && b && (
              <li>
                − baseline {money(example.baselineDaily)} a day (average of{' '}
                {formatDateRange(b.from, b.to)}) × {formatNumber(r.totals.coverage.daysWithData)}{' '}
                days with data = <strong>−{money(example.baselineTotal)}</strong>
              </li>
            )}
            <li>
              Value credited: <strong data-testid="example-value">{money(example.value)}</strong>.
              Cost {money(r.totals.cost)}, so ROI = ({money(example.value)} − {money(r.totals.cost)}
              ) ÷ {money(r.totals.cost)} ={' '}
              <strong data-testid="example-roi">{formatPercent(exampleRoi)}</strong>
            </li>
          </ol>
        )}
        {r && (
          <p className="muted small">
            With the saved settings the report credits {money(r.totals.value)} for these days (each
            day is rounded to the cent, so it may differ by a few cents).
          </p>
        )}
      </section>
    </Card>
  );
}
