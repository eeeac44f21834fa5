/** The credited-value formula of the contract, for the worked example beside the attribution form. */

export interface AttributionSettings {
  /** Share of revenue credited to SEO, 0–1. */
  revenueShare: number;
  /** Value of one conversion, minor units. */
  conversionValue: number;
  /** Gross margin, 0–1. */
  grossMargin: number;
}

export interface PeriodFigures {
  revenue: number;
  conversions: number;
  /**
   * For the period shown: its days with data (the baseline is taken off each of those). For the
   * baseline: all its days (its mean counts a day without data as 0).
   */
  days: number;
}

/** `(revenue + conversions × conversionValue) × revenueShare × grossMargin` over a period, minor units. */
export function creditedBeforeBaseline(f: PeriodFigures, a: AttributionSettings): number {
  return (f.revenue + f.conversions * a.conversionValue) * a.revenueShare * a.grossMargin;
}

export interface WorkedExample {
  /** revenue + conversions × conversionValue. */
  gross: number;
  /** `gross` × share × margin. */
  credited: number;
  /** Mean daily credited value of the baseline period (0 without one). */
  baselineDaily: number;
  /** `baselineDaily` × the period's days. */
  baselineTotal: number;
  /** What the report counts as value: credited − baseline (rounded per day on the server). */
  value: number;
}

/**
 * The steps of the formula over a period, with an optional baseline period's own figures: the
 * baseline's mean daily credited value is taken off every day of the period that has data. The server rounds
 * each day and site to the minor unit, so its total can differ from this by a few minor units.
 */
export function workedExample(
  period: PeriodFigures,
  a: AttributionSettings,
  baseline: PeriodFigures | null,
): WorkedExample {
  const gross = period.revenue + period.conversions * a.conversionValue;
  const credited = creditedBeforeBaseline(period, a);
  const baselineDaily =
    baseline && baseline.days > 0 ? creditedBeforeBaseline(baseline, a) / baseline.days : 0;
  const baselineTotal = baselineDaily * period.days;
  return {
    gross,
    credited: Math.round(credited),
    baselineDaily: Math.round(baselineDaily),
    baselineTotal: Math.round(baselineTotal),
    value: Math.round(credited - baselineTotal),
  };
}
