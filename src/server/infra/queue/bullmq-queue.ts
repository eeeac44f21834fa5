import { Queue, Worker, type ConnectionOptions, type JobsOptions } from 'bullmq';
import {
  DEFAULT_ATTEMPTS,
  DEFAULT_BACKOFF_MS,
  type EnqueueOptions,
  type JobQueue,
} from './job-queue.ts';

function jobOptions(options: EnqueueOptions = {}): JobsOptions {
  return {
    jobId: options.jobId,
    delay: options.delayMs,
    attempts: options.attempts ?? DEFAULT_ATTEMPTS,
    backoff: { type: 'exponential', delay: options.backoffMs ?? DEFAULT_BACKOFF_MS },
    removeOnComplete: true,
    // A failed job frees its id at once: the truth (and the dead-letter state) lives in
    // PostgreSQL, and a sweeper must be able to enqueue the same id again.
    removeOnFail: true,
  };
}

/** The longest an enqueue (or a queue read) waits for Redis before it fails. */
const QUEUE_COMMAND_TIMEOUT_MS = 3_000;

/** Rejects once `ms` have passed: a dead Redis must not hold a request (or the webhook) forever. */
function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: Redis did not answer in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface BullmqQueueOptions {
  /** False while Redis is known to be down (another connection saw it go): enqueues fail at once. */
  available?: () => boolean;
}

/**
 * BullMQ on Redis: many API and worker processes share the queues. Producers fail fast while
 * Redis is down (no offline queue, and a deadline): what they enqueue is a prompt whose truth is
 * in PostgreSQL, found again by a sweeper. Workers keep blocking connections that retry forever,
 * so they resume on their own when Redis returns.
 */
export function createBullmqQueue(
  redisUrl: string,
  prefix = 'roi',
  options: BullmqQueueOptions = {},
): JobQueue {
  const available = options.available ?? (() => true);
  /** Fails at once while Redis is known to be down, else within QUEUE_COMMAND_TIMEOUT_MS. */
  const produce = <T>(command: () => Promise<T>, what: string): Promise<T> =>
    available()
      ? withTimeout(command(), QUEUE_COMMAND_TIMEOUT_MS, what)
      : Promise.reject(new Error(`${what}: Redis is unavailable`));
  const producer: ConnectionOptions = {
    url: redisUrl,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
  };
  const consumer: ConnectionOptions = { url: redisUrl, maxRetriesPerRequest: null };
  const queues = new Map<string, Queue>();
  const workers: Worker[] = [];
  const queueOf = (name: string) => {
    let q = queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: producer, prefix });
      q.on('error', () => undefined); // reported by the callers whose enqueue fails
      queues.set(name, q);
    }
    return q;
  };
  return {
    kind: 'bullmq',
    async enqueue(queue, name, data, options = {}) {
      await produce(() => queueOf(queue).add(name, data, jobOptions(options)), 'enqueue');
    },
    async enqueueMany(queue, jobs) {
      if (jobs.length === 0) return;
      await produce(
        () =>
          queueOf(queue).addBulk(
            jobs.map((job) => ({ name: job.name, data: job.data, opts: jobOptions(job.options) })),
          ),
        'enqueue',
      );
    },
    async process(queue, handler, options = {}) {
      const worker = new Worker(
        queue,
        async (job) => {
          await handler({
            id: job.id ?? '',
            name: job.name,
            data: job.data,
            attempt: job.attemptsMade + 1,
          });
        },
        {
          connection: consumer,
          prefix,
          concurrency: options.concurrency ?? 4,
          // A killed worker's job is taken back within ~15 s (not BullMQ's default 30 s + 30 s).
          lockDuration: 10_000,
          stalledInterval: 5_000,
          maxStalledCount: 3,
        },
      );
      worker.on('failed', (job, error) => {
        if (!job || job.attemptsMade < (job.opts.attempts ?? 1)) return;
        void options.onExhausted?.(
          { id: job.id ?? '', name: job.name, data: job.data, attempt: job.attemptsMade },
          error,
        );
      });
      worker.on('error', () => undefined);
      workers.push(worker);
      await worker.waitUntilReady();
      return async () => {
        await worker.close();
        workers.splice(workers.indexOf(worker), 1);
      };
    },
    async schedule(queue, schedulerId, everyMs, job) {
      await produce(
        () =>
          queueOf(queue).upsertJobScheduler(
            schedulerId,
            { every: everyMs },
            {
              name: job.name,
              data: job.data,
              // Each firing is a prompt: a failed one is not retried, the next one comes anyway.
              opts: { attempts: 1, removeOnComplete: true, removeOnFail: true },
            },
          ),
        'schedule',
      );
      return async () => undefined;
    },
    async schedulers(queue) {
      const list = await produce(() => queueOf(queue).getJobSchedulers(0, -1), 'queue read');
      return list.map((s) => ({
        id: s.id ?? s.key,
        everyMs: s.every ?? 0,
        next: s.next ?? null,
      }));
    },
    async pending(queue) {
      const counts = await produce(
        () => queueOf(queue).getJobCounts('waiting', 'delayed', 'active', 'prioritized'),
        'queue read',
      );
      return Object.values(counts).reduce((a, b) => a + b, 0);
    },
    async ping() {
      await produce(() => queueOf('health').getJobCounts('waiting'), 'queue ping');
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all([...queues.values()].map((q) => q.close()));
    },
  };
}
