import {
  DEFAULT_ATTEMPTS,
  DEFAULT_BACKOFF_MS,
  type Job,
  type JobHandler,
  type JobQueue,
  type ProcessOptions,
} from './job-queue.ts';

interface QueuedJob extends Job {
  attempts: number;
  backoffMs: number;
}

interface Consumer {
  handler: JobHandler;
  concurrency: number;
  onExhausted?: ProcessOptions['onExhausted'];
  running: number;
}

/**
 * In-process queue for a single process without Redis. Jobs live in memory only; PostgreSQL holds
 * the truth, and sweepers re-enqueue whatever a restart dropped.
 */
export function createMemoryQueue(): JobQueue {
  const waiting = new Map<string, QueuedJob[]>();
  const known = new Map<string, Set<string>>();
  const consumers = new Map<string, Consumer>();
  const timers = new Set<NodeJS.Timeout>();
  const schedulers = new Map<
    string,
    { queue: string; id: string; everyMs: number; next: number; timer: NodeJS.Timeout }
  >();
  let closed = false;
  let counter = 0;

  const listOf = (queue: string) => {
    let list = waiting.get(queue);
    if (!list) waiting.set(queue, (list = []));
    return list;
  };
  const idsOf = (queue: string) => {
    let ids = known.get(queue);
    if (!ids) known.set(queue, (ids = new Set()));
    return ids;
  };

  function later(ms: number, fn: () => void) {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  }

  function pump(queue: string) {
    const consumer = consumers.get(queue);
    if (!consumer || closed) return;
    const list = listOf(queue);
    while (consumer.running < consumer.concurrency && list.length > 0) {
      const job = list.shift()!;
      consumer.running += 1;
      void run(queue, consumer, job);
    }
  }

  async function run(queue: string, consumer: Consumer, job: QueuedJob) {
    try {
      await consumer.handler(job);
      idsOf(queue).delete(job.id);
    } catch (error) {
      if (job.attempt >= job.attempts) {
        idsOf(queue).delete(job.id);
        await consumer.onExhausted?.(job, error).catch(() => undefined);
      } else {
        const delay = job.backoffMs * 2 ** (job.attempt - 1);
        later(delay, () => {
          listOf(queue).push({ ...job, attempt: job.attempt + 1 });
          pump(queue);
        });
      }
    } finally {
      consumer.running -= 1;
      setImmediate(() => pump(queue));
    }
  }

  const memoryQueue: JobQueue = {
    kind: 'memory',
    async enqueue(queue, name, data, options = {}) {
      if (closed) return;
      const id = options.jobId ?? `${Date.now()}-${++counter}`;
      const ids = idsOf(queue);
      if (ids.has(id)) return;
      ids.add(id);
      const job: QueuedJob = {
        id,
        name,
        data,
        attempt: 1,
        attempts: options.attempts ?? DEFAULT_ATTEMPTS,
        backoffMs: options.backoffMs ?? DEFAULT_BACKOFF_MS,
      };
      if (options.delayMs) {
        later(options.delayMs, () => {
          listOf(queue).push(job);
          pump(queue);
        });
      } else {
        listOf(queue).push(job);
        setImmediate(() => pump(queue));
      }
    },
    async enqueueMany(queue, jobs) {
      for (const job of jobs) await memoryQueue.enqueue(queue, job.name, job.data, job.options);
    },
    async process(queue, handler, options = {}) {
      const consumer: Consumer = {
        handler,
        running: 0,
        concurrency: options.concurrency ?? 4,
        onExhausted: options.onExhausted,
      };
      consumers.set(queue, consumer);
      pump(queue);
      return async () => {
        if (consumers.get(queue) === consumer) consumers.delete(queue);
        while (consumer.running > 0) await new Promise((r) => setTimeout(r, 10));
      };
    },
    async schedule(queue, schedulerId, everyMs, job) {
      const key = `${queue}\u0000${schedulerId}`;
      const previous = schedulers.get(key);
      if (previous) clearInterval(previous.timer);
      // One job id per scheduler: a firing while the last one still waits or runs adds nothing.
      const fire = () => {
        entry.next = Date.now() + everyMs;
        void memoryQueue.enqueue(queue, job.name, job.data, {
          jobId: `scheduler:${schedulerId}`,
          attempts: 1,
        });
      };
      const timer = setInterval(fire, everyMs);
      timer.unref();
      const entry = { queue, id: schedulerId, everyMs, next: Date.now(), timer };
      schedulers.set(key, entry);
      fire();
      return async () => {
        clearInterval(timer);
        if (schedulers.get(key) === entry) schedulers.delete(key);
      };
    },
    async schedulers(queue) {
      return [...schedulers.values()]
        .filter((s) => s.queue === queue)
        .map((s) => ({ id: s.id, everyMs: s.everyMs, next: s.next }));
    },
    async pending(queue) {
      return idsOf(queue).size;
    },
    async ping() {},
    async close() {
      closed = true;
      for (const s of schedulers.values()) clearInterval(s.timer);
      schedulers.clear();
      for (const t of timers) clearTimeout(t);
      timers.clear();
      // Let running handlers finish so their transactions commit before the database closes.
      while ([...consumers.values()].some((c) => c.running > 0)) {
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
  return memoryQueue;
}
