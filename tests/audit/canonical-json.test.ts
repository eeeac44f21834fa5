import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  chainHash,
  GENESIS_HASH,
  type ChainedEvent,
} from '../../src/server/domain/audit/audit-hash.ts';

/**
 * Hashes already stored must keep verifying: the fast encoders must produce the very bytes of the
 * first implementation (kept here as the reference) for any value.
 */
function referenceCanonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return referenceCanonicalJson(toJSON.call(value));
  if (Array.isArray(value)) return `[${value.map(referenceCanonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${referenceCanonicalJson(v)}`).join(',')}}`;
}

const referenceChainHash = (prev: string, event: unknown) =>
  createHash('sha256')
    .update(prev)
    .update('\n')
    .update(referenceCanonicalJson(event))
    .digest('hex');

const text = fc.option(fc.string({ unit: 'binary-ascii' }), { nil: null });
const anyText = fc.option(fc.string({ unit: 'grapheme' }), { nil: null });
const event: fc.Arbitrary<ChainedEvent> = fc.record({
  tenantId: fc.uuid(),
  seq: fc.nat(),
  id: fc.uuid(),
  occurredAt: fc
    .date({ noInvalidDate: true, min: new Date(0), max: new Date(4e12) })
    .map((d) => d.toISOString()),
  actor: fc.record({
    type: fc.constantFrom('user', 'api_key', 'system', 'stripe'),
    id: text,
    label: anyText,
  }),
  action: fc.string(),
  target: fc.record({ type: text, id: anyText }),
  changes: fc.jsonValue(),
  ip: text,
  userAgent: anyText,
  requestId: text,
});

describe('canonical encoding', () => {
  it('canonicalJson gives the reference bytes for any JSON value, key order and undefined fields', () => {
    fc.assert(
      fc.property(
        fc.anything({ withDate: true, withNullPrototype: true, withObjectString: true }),
        (value) => {
          expect(canonicalJson(value)).toBe(referenceCanonicalJson(value));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('chainHash gives the reference hash for any event, and for events of unusual shape', () => {
    fc.assert(
      fc.property(
        event,
        fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }),
        (e, prev) => {
          expect(chainHash(prev, e)).toBe(referenceChainHash(prev, e));
        },
      ),
      { numRuns: 2000 },
    );
    const odd = {
      tenantId: 't',
      seq: 1,
      id: 'i',
      occurredAt: 'x',
      action: 'a',
      actor: { type: 'user', id: 7, label: null },
      target: { type: null, id: null },
      changes: undefined,
      ip: null,
      userAgent: null,
      requestId: null,
      extra: { b: 1, a: 2 },
    };
    expect(chainHash(GENESIS_HASH, odd as unknown as ChainedEvent)).toBe(
      referenceChainHash(GENESIS_HASH, odd),
    );
  });
});
