import { useState } from 'react';
import { formatMoney, formatPercent } from '../lib/money.ts';
import { Dialog } from './ui.tsx';

export interface RoiFiguresShown {
  value: number;
  cost: number;
  roi: number | null;
  currency: string;
}

/**
 * "How ROI is calculated": a small button beside every ROI figure that opens a dialog with the
 * formula in plain words and, when given, the figure's own numbers worked through. A native modal
 * dialog: focus moves in, Escape closes, focus returns to the button.
 */
export function RoiHelp({ figures, about }: { figures?: RoiFiguresShown; about?: string }) {
  const [open, setOpen] = useState(false);
  const money = (v: number) => (figures ? formatMoney(v, figures.currency) : '');
  return (
    <>
      <button
        type="button"
        className="help-btn"
        aria-label="How ROI is calculated"
        aria-haspopup="dialog"
        title="How ROI is calculated"
        onClick={() => setOpen(true)}
      >
        ?
      </button>
      <Dialog open={open} title="How ROI is calculated" onClose={() => setOpen(false)}>
        <div className="roi-help" data-testid="roi-help">
          <p>
            <strong>ROI = (value − cost) ÷ cost.</strong> An ROI of 150% means every unit of cost
            brought back 2.5 in value.
          </p>
          <dl className="details">
            <dt>Value</dt>
            <dd>
              What the SEO work is credited with, per site and day: (revenue + conversions ×
              conversion value) × revenue share × gross margin − the baseline. Each site sets these
              on its page (by default: all revenue, full margin, no baseline).
            </dd>
            <dt>Cost</dt>
            <dd>
              What the agency charges: a monthly retainer is spread over the days of each month, a
              one-off fee counts on its date, hourly work on the day it was logged. A period that
              starts or ends mid-month carries only its own days.
            </dd>
            <dt>Undefined</dt>
            <dd>With no cost in the period there is no ROI: it shows as “—”, never as 0%.</dd>
          </dl>
          {figures && (
            <p data-testid="roi-help-figures">
              {about ? `${about}: ` : 'Here: '}({money(figures.value)} − {money(figures.cost)}) ÷{' '}
              {money(figures.cost)} = <strong>{formatPercent(figures.roi)}</strong>
              {figures.roi === null && ' (no cost, so no ROI)'}.
            </p>
          )}
        </div>
      </Dialog>
    </>
  );
}
