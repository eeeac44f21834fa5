import { describe, expect, it } from 'vitest';
import { ACCESS } from '../../src/server/http/access-policy.ts';
import { routeKey } from '../../src/server/http/define-route.ts';
import { allRoutes } from '../../src/server/routes/index.ts';

describe('the roles × routes table', () => {
  const keys = allRoutes().map(routeKey);

  it('declares every route', () => {
    expect(keys.filter((k) => !Object.hasOwn(ACCESS, k))).toEqual([]);
  });

  it('has no entry without a route', () => {
    expect(Object.keys(ACCESS).filter((k) => !keys.includes(k))).toEqual([]);
  });

  it('registers each route once', () => {
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
  });

  it('never lets a client change anything', () => {
    const writable = Object.entries(ACCESS).filter(
      ([key, access]) =>
        !key.startsWith('GET ') && Array.isArray(access) && access.includes('client'),
    );
    expect(writable.map(([k]) => k)).toEqual([]);
  });
});
