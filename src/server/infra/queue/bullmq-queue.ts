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

/** BullMQ on Redis: many API and worker processes share the queues. */
export function createBullmqQueue(redisUrl: string, prefix = 'roi'): JobQueue {
  const connection: ConnectionOptions = { url: redisUrl, maxRetriesPerRequest: null };
  const queues = new Map<string, Queue>();
  const workers: Worker[] = [];
  const queueOf = (name: string) => {
    let q = queues.get(name);
    if (!q) {
      q = new Queue(name, { connection, prefix });
      queues.set(name, q);
    }
    return q;
  };
  return {
    kind: 'bullmq',
    async enqueue(queue, name, data, options = {}) {
      await queueOf(queue).add(name, data, jobOptions(options));
    },
    async enqueueMany(queue, jobs) {
      if (jobs.length === 0) return;
      await queueOf(queue).addBulk(
        jobs.map((job) => ({ name: job.name, data: job.data, opts: jobOptions(job.options) })),
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
          connection,
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
    async pending(queue) {
      const counts = await queueOf(queue).getJobCounts(
        'waiting',
        'delayed',
        'active',
        'prioritized',
      );
      return Object.values(counts).reduce((a, b) => a + b, 0);
    },
    async ping() {
      await queueOf('health').getJobCounts('waiting');
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all([...queues.values()].map((q) => q.close()));
    },
  };
}
