import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTenant, type TestTenant } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createSite, setPlan } from './helpers.ts';
import {
  eachDay,
  modelReport,
  type GroupBy,
  type ModelAttribution,
  type ModelDay,
  type ModelService,
} from './roi-model.ts';

/**
 * Random sites, services, time entries, metric imports and attribution (set before or after the
 * imports, with or without a baseline) go through the API; the report the server answers equals
 * the in-memory computation of the contract's formulas, for every grouping, with its coverage and
 * the comparison with the previous period or the year before.
 */
let app: TestApp;
let tenant: TestTenant;
beforeAll(async () => {
  app = await startTestApp();
  tenant = await buildTenant(app);
  await setPlan(app, tenant, 'agency');
});
afterAll(async () => {
  await app.close();
});

const DAYS = eachDay('2025-11-20', '2026-04-10');
const day = fc.constantFrom(...DAYS);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const metricRow = fc.record({
  date: day,
  sessions: maybe(fc.nat({ max: 5000 })),
  conversions: maybe(fc.nat({ max: 50 })),
  revenue: maybe(fc.nat({ max: 10_000_000 })),
  clicks: maybe(fc.nat({ max: 1000 })),
  impressions: maybe(fc.nat({ max: 100_000 })),
  position: maybe(fc.integer({ min: 100, max: 10_000 }).map((p) => p / 100)),
});

const service = fc.record({
  billing: fc.constantFrom('monthly', 'one_time', 'hourly' as const),
  amount: fc.nat({ max: 1_000_000 }),
  startDate: day,
  lengthDays: fc.option(fc.nat({ max: 120 }), { nil: null }),
  entries: fc.array(
    fc.record({ date: day, hours: fc.integer({ min: 1, max: 2400 }).map((h) => h / 100) }),
    { maxLength: 4 },
  ),
});

const share = fc.oneof(
  fc.constant(1),
  fc.constant(0),
  fc.integer({ min: 0, max: 1_000_000 }).map((v) => v / 1e6),
);
const attribution = fc.record({
  revenueShare: share,
  conversionValue: fc.oneof(fc.constant(0), fc.nat({ max: 200_000 })),
  grossMargin: share,
  baseline: fc.option(
    fc.tuple(day, day).map(([a, b]) => (a <= b ? { from: a, to: b } : { from: b, to: a })),
    { nil: null },
  ),
});

const siteData = fc.record({
  services: fc.array(service, { maxLength: 3 }),
  attribution: fc.option(attribution, { nil: undefined }),
  attributionFirst: fc.boolean(),
  // Several imports: later ones upsert over earlier ones.
  imports: fc.array(fc.uniqueArray(metricRow, { selector: (r) => r.date, maxLength: 40 }), {
    minLength: 1,
    maxLength: 3,
  }),
});

const scenario = fc.record({
  sites: fc.array(siteData, { minLength: 1, maxLength: 3 }),
  range: fc.tuple(day, day).map(([a, b]) => (a <= b ? { from: a, to: b } : { from: b, to: a })),
  onlyFirstSite: fc.boolean(),
  compare: fc.constantFrom('previous', 'year', 'none' as const),
});

/** The compared range, worked out here: N days before, or the same dates a year back. */
function earlierRange(from: string, to: string, compare: 'previous' | 'year' | 'none') {
  if (compare === 'none') return null;
  if (compare === 'previous') {
    const n = eachDay(from, to).length;
    return { from: addDays(from, -n), to: addDays(from, -1) };
  }
  const back = (d: string) =>
    `${Number(d.slice(0, 4)) - 1}-${d.slice(5) === '02-29' ? '02-28' : d.slice(5)}`;
  return { from: back(from), to: back(to) };
}

function addDays(date: string, n: number) {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

describe('ROI report equals the contract formulas', () => {
  it('for random data and every grouping', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (sc) => {
        const c = tenant.owner.client;
        const siteIds: string[] = [];
        const metrics = new Map<string, Map<string, ModelDay>>();
        const services: ModelService[] = [];
        const attributions = new Map<string, ModelAttribution>();
        for (const data of sc.sites) {
          const site = await createSite(tenant);
          siteIds.push(site.id);
          const days = new Map<string, ModelDay>();
          metrics.set(site.id, days);
          const setAttribution = async () => {
            if (!data.attribution) return;
            const res = await c.patch(`/api/v1/sites/${site.id}`, {
              attribution: data.attribution,
            });
            expect(res.status, res.text).toBe(200);
            expect(res.body.attribution).toEqual(data.attribution);
            attributions.set(site.id, data.attribution);
          };
          if (data.attributionFirst) await setAttribution();
          for (const rows of data.imports) {
            const res = await c.post(`/api/v1/sites/${site.id}/metrics`, { rows });
            expect(res.status, res.text).toBe(200);
            for (const { date, ...fields } of rows) {
              const merged = { ...days.get(date) };
              for (const [k, v] of Object.entries(fields))
                if (v !== undefined) merged[k as keyof ModelDay] = v;
              days.set(date, merged);
            }
          }
          if (!data.attributionFirst) await setAttribution();
          for (const s of data.services) {
            const endDate = s.lengthDays === null ? null : addDays(s.startDate, s.lengthDays);
            const res = await c.post('/api/v1/services', {
              siteId: site.id,
              name: 'S',
              category: 'seo',
              billing: s.billing,
              amount: s.amount,
              startDate: s.startDate,
              endDate,
            });
            expect(res.status, res.text).toBe(201);
            const entries: { date: string; hours: number }[] = [];
            if (s.billing === 'hourly') {
              for (const e of s.entries) {
                const te = await c.post(`/api/v1/services/${res.body.id}/time-entries`, e);
                expect(te.status, te.text).toBe(201);
                entries.push(e);
              }
            }
            services.push({
              siteId: site.id,
              billing: s.billing,
              amount: s.amount,
              startDate: s.startDate,
              endDate,
              entries,
            });
          }
        }
        const scope = sc.onlyFirstSite ? siteIds.slice(0, 1) : siteIds;
        for (const groupBy of ['day', 'week', 'month', 'site'] as GroupBy[]) {
          const query = new URLSearchParams({
            from: sc.range.from,
            to: sc.range.to,
            groupBy,
            compare: sc.compare,
          });
          for (const id of scope) query.append('siteId', id);
          const res = await c.get(`/api/v1/reports/roi?${query}`);
          expect(res.status, res.text).toBe(200);
          const input = { groupBy, sites: scope, metrics, services, attribution: attributions };
          const model = modelReport({ ...sc.range, ...input });
          const sortedKeys = groupBy === 'site' ? [...model.keys].sort() : model.keys;
          const gotKeys = res.body.series.map((s: { key: string }) => s.key);
          expect(groupBy === 'site' ? [...gotKeys].sort() : gotKeys).toEqual(sortedKeys);
          const check = (
            got: Record<string, unknown>,
            want: ReturnType<typeof modelReport>['totals'],
            where: string,
          ) => {
            const { position, ...exact } = want;
            expect(
              { ...got, key: undefined, label: undefined, position: undefined },
              where,
            ).toEqual({
              ...exact,
              key: undefined,
              label: undefined,
              position: undefined,
            });
            if (position === null) expect(got.position, where).toBeNull();
            else
              expect(Math.abs((got.position as number) - position), where).toBeLessThanOrEqual(
                0.005 + 1e-9,
              );
          };
          const { coverage, ...totals } = res.body.totals;
          check(totals, model.totals, `${groupBy} totals`);
          expect(coverage, `${groupBy} coverage`).toEqual(model.coverage);
          const earlier = earlierRange(sc.range.from, sc.range.to, sc.compare);
          if (earlier === null) expect(res.body.comparison).toBeNull();
          else {
            const before = modelReport({ ...earlier, ...input });
            const { coverage: earlierCoverage, ...earlierTotals } = res.body.comparison.totals;
            expect(res.body.comparison.from).toBe(earlier.from);
            expect(res.body.comparison.to).toBe(earlier.to);
            check(earlierTotals, before.totals, `${groupBy} comparison`);
            expect(earlierCoverage, `${groupBy} comparison coverage`).toEqual(before.coverage);
          }
          for (const item of res.body.series)
            check(item, model.series.get(item.key)!, `${groupBy} ${item.key}`);
          expect(res.body).toMatchObject({
            currency: 'USD',
            from: sc.range.from,
            to: sc.range.to,
            groupBy,
          });
        }
      }),
      { numRuns: Number(process.env.ROI_PROPERTY_RUNS ?? 25) },
    );
  }, 600_000);
});
