/**
 * One interface over the job queue: BullMQ on Redis when REDIS_URL is set, an in-process queue
 * otherwise. Jobs are prompts to do work whose truth lives in PostgreSQL, so a lost job is found
 * again by a sweeper and handlers must be idempotent.
 */
export interface Job<T = unknown> {
  id: string;
  name: string;
  data: T;
  /** 1 on the first try. */
  attempt: number;
}

export interface EnqueueOptions {
  /** Deduplicates: a job with the same id that is still waiting or running is not added again. */
  jobId?: string;
  delayMs?: number;
  /** Tries in all before the job is given up (see ProcessOptions.onExhausted). Default 8. */
  attempts?: number;
  /** First retry delay; doubles on each retry. Default 500 ms. */
  backoffMs?: number;
}

export interface JobRequest {
  name: string;
  data: unknown;
  options?: EnqueueOptions;
}

export const DEFAULT_ATTEMPTS = 8;
export const DEFAULT_BACKOFF_MS = 500;

export interface ProcessOptions {
  concurrency?: number;
  /** Called once a job has failed `attempts` times: the handler's dead-letter hook. */
  onExhausted?: (job: Job, error: unknown) => Promise<void>;
}

export type JobHandler<T = unknown> = (job: Job<T>) => Promise<void>;

export interface JobQueue {
  readonly kind: 'memory' | 'bullmq';
  enqueue(queue: string, name: string, data: unknown, options?: EnqueueOptions): Promise<void>;
  /** Adds several jobs at once (one round trip on Redis), each deduplicated like `enqueue`. */
  enqueueMany(queue: string, jobs: JobRequest[]): Promise<void>;
  /**
   * Starts consuming `queue` in this process (worker role). Resolves to a function that stops
   * consuming (running jobs finish first); jobs wait in the queue until a consumer starts again.
   */
  process(
    queue: string,
    handler: JobHandler,
    options?: ProcessOptions,
  ): Promise<() => Promise<void>>;
  /** Waiting + delayed + active jobs of a queue. */
  pending(queue: string): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
