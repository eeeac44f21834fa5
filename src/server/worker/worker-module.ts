import type { AppServices } from '../services.ts';

/** A unit of background work: registers queue consumers and timers; returns its stop function. */
export interface WorkerModule {
  name: string;
  start(services: AppServices): Promise<() => Promise<void>>;
}

/**
 * Runs `task` every `ms` (and once soon after start), never overlapping itself; errors are
 * logged and the next tick tries again.
 */
export function every(services: AppServices, name: string, ms: number, task: () => Promise<void>) {
  let running = false;
  let stopped = false;
  const tick = async () => {
    if (running || stopped) return;
    running = true;
    try {
      await task();
    } catch (err) {
      services.logger.error({ err, task: name }, 'periodic task failed');
    } finally {
      running = false;
    }
  };
  const first = setTimeout(() => void tick(), Math.min(ms, 1000));
  const timer = setInterval(() => void tick(), ms);
  timer.unref();
  first.unref();
  return async () => {
    stopped = true;
    clearTimeout(first);
    clearInterval(timer);
    while (running) await new Promise((r) => setTimeout(r, 10));
  };
}
