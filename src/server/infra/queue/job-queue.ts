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

/** What a job scheduler adds to its queue each time it fires. */
export interface ScheduledJob {
  name: string;
  data: unknown;
}

/** A job scheduler as the queue holds it: when it fires next (epoch ms; null when unknown). */
export interface JobSchedulerInfo {
  id: string;
  everyMs: number;
  next: number | null;
}

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
  /**
   * Creates or updates the job scheduler `schedulerId`: `job` is added to `queue` every `everyMs`
   * (the first at once). On Redis it is BullMQ's job scheduler, one for every process sharing the
   * queue (upserting it again changes nothing but its interval); in process, a timer. Resolves to
   * a function that stops this process's timer (BullMQ's scheduler stays, for the other workers).
   */
  schedule(
    queue: string,
    schedulerId: string,
    everyMs: number,
    job: ScheduledJob,
  ): Promise<() => Promise<void>>;
  /** The job schedulers of a queue. */
  schedulers(queue: string): Promise<JobSchedulerInfo[]>;
  /** Waiting + delayed + active jobs of a queue. */
  pending(queue: string): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
