import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const require = createRequire(import.meta.url);
let source: string | undefined;

/** axe-core's browser build, read once per test file. */
function axeSource(): string {
  source ??= fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  return source;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; summary: string }[];
}

/**
 * Runs axe-core in the page as it is now (WCAG 2.0/2.1/2.2 A and AA plus best practices, colour
 * contrast included) and returns every violation, readable in a failure message. Injected with
 * page.evaluate, so it works on any page: the app, a dialog open in it, or a
 * sandbox page served by the server. `include` narrows the scan (e.g. to an open dialog).
 */
export async function axeViolations(
  page: Page,
  options: { include?: string; disable?: string[] } = {},
): Promise<AxeViolation[]> {
  const loaded = await page.evaluate(() => 'axe' in window);
  // Evaluated through the debugging protocol, which the app's Content-Security-Policy (no inline
  // scripts) does not govern, unlike a script tag.
  if (!loaded) await page.evaluate(axeSource());
  return page.evaluate(
    async ({ include, disable }) => {
      const axe = (window as unknown as { axe: any }).axe;
      const result = await axe.run(include ? { include: [include] } : document, {
        runOnly: {
          type: 'tag',
          values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'],
        },
        rules: Object.fromEntries((disable ?? []).map((id: string) => [id, { enabled: false }])),
        resultTypes: ['violations'],
      });
      return result.violations.map((v: any) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.slice(0, 5).map((n: any) => ({
          target: n.target.map(String),
          summary: String(n.failureSummary ?? '').slice(0, 300),
        })),
      }));
    },
    { include: options.include, disable: options.disable },
  );
}

/** A violation list as text for an assertion message. */
export function describeViolations(where: string, violations: AxeViolation[]): string {
  return violations
    .map(
      (v) =>
        `${where}: [${v.impact}] ${v.id}: ${v.help}\n` +
        v.nodes.map((n) => `    ${n.target.join(' ')}: ${n.summary}`).join('\n'),
    )
    .join('\n');
}

/**
 * Fails with every violation named when axe finds any on the page as it is now. Waits for fonts
 * and a settled frame first, so colour-contrast checks see the final rendering.
 */
export async function expectNoAxeViolations(
  page: Page,
  where: string,
  options: { include?: string; disable?: string[] } = {},
): Promise<void> {
  await page.evaluate(() => document.fonts.ready.then(() => undefined));
  const violations = await axeViolations(page, options);
  if (violations.length > 0) throw new Error(describeViolations(where, violations));
}
