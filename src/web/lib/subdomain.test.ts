import { describe, expect, it } from 'vitest';
import { Subdomain } from '../../shared/schemas/accounts.ts';
import { suggestSubdomain } from './subdomain.ts';

describe('suggestSubdomain', () => {
  it('turns a workspace name into a valid subdomain', () => {
    for (const [name, expected] of [
      ['Acme SEO', 'acme-seo'],
      ['  Crème Brûlée & Co. ', 'creme-brulee-co'],
      ['--Rank!!Higher--', 'rank-higher'],
    ] as const) {
      expect(suggestSubdomain(name)).toBe(expected);
      expect(Subdomain.safeParse(expected).success).toBe(true);
    }
    expect(suggestSubdomain('x'.repeat(80)).length).toBe(63);
  });
});
