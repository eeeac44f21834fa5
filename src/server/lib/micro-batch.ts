/** What a batch flush says about one of its items. */
export type ItemResult<O> = { ok: true; value: O } | { ok: false; error: unknown };

export interface MicroBatchOptions<I> {
  /** Flushes running at once; items that arrive meanwhile wait and form the next batch. */
  maxInFlight: number;
  /** Most items in one flush. */
  maxItems: number;
  /** Weight of an item against `maxWeight` (bytes, say). Default 1. */
  weigh?: (item: I) => number;
  maxWeight?: number;
}

export interface MicroBatcher<I, O> {
  /** Resolves (or rejects) with the item's own result once the flush that took it has finished. */
  submit(item: I): Promise<O>;
  /** Waits until every submitted item has been flushed. */
  drain(): Promise<void>;
}

interface Waiting<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Adaptive batching without a timer: an item submitted while fewer than `maxInFlight` flushes run
 * is flushed at once, alone; items that arrive while all flushes are busy are flushed together
 * as soon as one finishes. Under light load nothing waits; under heavy load each flush carries
 * many items, so per-item round trips (a commit, a queue add) are paid once per batch.
 *
 * `flush` returns one result per item, in order; if it throws, every item of the batch rejects.
 */
export function microBatcher<I, O>(
  flush: (items: I[]) => Promise<ItemResult<O>[]>,
  options: MicroBatchOptions<I>,
): MicroBatcher<I, O> {
  const waiting: Waiting<I, O>[] = [];
  let inFlight = 0;
  const idle: (() => void)[] = [];
  const weigh = options.weigh ?? (() => 1);
  const maxWeight = options.maxWeight ?? Infinity;

  function take(): Waiting<I, O>[] {
    let count = 0;
    let weight = 0;
    while (count < waiting.length && count < options.maxItems) {
      const w = weigh(waiting[count]!.item);
      if (count > 0 && weight + w > maxWeight) break;
      weight += w;
      count += 1;
    }
    return waiting.splice(0, count);
  }

  async function run(batch: Waiting<I, O>[]) {
    try {
      const results = await flush(batch.map((w) => w.item));
      batch.forEach((w, i) => {
        const result = results[i];
        if (!result) w.reject(new Error('the batch flush returned no result for this item'));
        else if (result.ok) w.resolve(result.value);
        else w.reject(result.error);
      });
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }

  function pump() {
    while (inFlight < options.maxInFlight && waiting.length > 0) {
      inFlight += 1;
      void run(take()).finally(() => {
        inFlight -= 1;
        pump();
      });
    }
    if (inFlight === 0 && waiting.length === 0) for (const done of idle.splice(0)) done();
  }

  return {
    submit(item) {
      return new Promise<O>((resolve, reject) => {
        waiting.push({ item, resolve, reject });
        pump();
      });
    },
    drain() {
      if (inFlight === 0 && waiting.length === 0) return Promise.resolve();
      return new Promise((resolve) => idle.push(resolve));
    },
  };
}
