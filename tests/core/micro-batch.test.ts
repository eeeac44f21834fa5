import { describe, expect, it } from 'vitest';
import { microBatcher, type ItemResult } from '../../src/server/lib/micro-batch.ts';

/** A flush that records each batch and finishes when the test says so. */
function gatedFlush() {
  const batches: number[][] = [];
  const gates: (() => void)[] = [];
  const flush = async (items: number[]): Promise<ItemResult<number>[]> => {
    batches.push(items);
    await new Promise<void>((resolve) => gates.push(resolve));
    return items.map((n) =>
      n < 0 ? { ok: false, error: new Error(`bad ${n}`) } : { ok: true, value: n * 10 },
    );
  };
  const openNext = async () => {
    while (gates.length === 0) await new Promise((r) => setImmediate(r));
    gates.shift()!();
  };
  return { batches, flush, openNext };
}

describe('microBatcher', () => {
  it('flushes the first item at once and batches what arrives while a flush runs', async () => {
    const { batches, flush, openNext } = gatedFlush();
    const batcher = microBatcher(flush, { maxInFlight: 1, maxItems: 100 });
    const first = batcher.submit(1);
    const rest = [2, 3, 4].map((n) => batcher.submit(n));
    expect(batches).toEqual([[1]]);
    await openNext();
    await openNext();
    expect(await first).toBe(10);
    expect(await Promise.all(rest)).toEqual([20, 30, 40]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('rejects only the items the flush failed, and every item when the flush throws', async () => {
    const { flush, openNext } = gatedFlush();
    const batcher = microBatcher(flush, { maxInFlight: 1, maxItems: 100 });
    const good = batcher.submit(5);
    const bad = batcher.submit(-1);
    await openNext();
    await openNext();
    expect(await good).toBe(50);
    await expect(bad).rejects.toThrow('bad -1');

    const throwing = microBatcher<number, number>(
      async () => {
        throw new Error('store down');
      },
      { maxInFlight: 2, maxItems: 100 },
    );
    await expect(Promise.all([throwing.submit(1), throwing.submit(2)])).rejects.toThrow(
      'store down',
    );
  });

  it('keeps batches within maxItems and maxWeight, and drain waits for all of them', async () => {
    const { batches, flush, openNext } = gatedFlush();
    const batcher = microBatcher(flush, {
      maxInFlight: 1,
      maxItems: 3,
      maxWeight: 10,
      weigh: (n) => n,
    });
    const all = [1, 2, 3, 4, 5, 6, 9].map((n) => batcher.submit(n));
    let drained = false;
    void batcher.drain().then(() => (drained = true));
    for (let i = 0; i < 5; i++) await openNext();
    await Promise.all(all);
    await new Promise((r) => setImmediate(r));
    expect(drained).toBe(true);
    // [1] alone; then at most 3 items and 10 in weight each.
    expect(batches).toEqual([[1], [2, 3, 4], [5], [6], [9]]);
  });
});
