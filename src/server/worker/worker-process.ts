import { fork, type ChildProcess } from 'node:child_process';
import type { Logger } from '../logger.ts';

export interface WorkerProcessOptions {
  /** The server's entry file (this process's own), started again as `<entry> worker`. */
  entry: string;
  /** Node flags of this process (`--import tsx` under tsx), so the child runs the same way. */
  execArgv: string[];
  logger: Logger;
}

export interface WorkerProcess {
  /** The running child's pid, undefined between a death and its restart. */
  pid(): number | undefined;
  /** Stops the child (SIGTERM, SIGKILL after `graceMs`) and does not restart it. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Stripe objects the child applies at once unless BILLING_WORKER_CONCURRENCY says otherwise (a
 * worker of its own takes 8): it shares the machine with the API by construction, and during a
 * burst of 10,000 events 8 at once slowed the API's reads 3.3–3.9× at p99 against 2.4–2.9× with 2,
 * for 10–20 % more time to apply them all (bench/billing.ts, BENCH_ROLE=all).
 */
const SHARED_MACHINE_BILLING_CONCURRENCY = 2;

/** A child that lived this long is healthy again: its next death restarts it after 1 s. */
const HEALTHY_AFTER_MS = 60_000;
const MAX_RESTART_DELAY_MS = 30_000;

/**
 * The worker role in a child process of its own (ROLE=all on PostgreSQL + Redis), so background
 * work does not share the API's event loop; the child lowers its own priority (WORKER_NICE).
 * It is restarted when it dies (1 s, doubling up to 30 s while it keeps dying young), and it
 * watches its IPC channel: when this process goes, however abruptly, the child stops too.
 */
export function startWorkerProcess(options: WorkerProcessOptions): WorkerProcess {
  const { entry, execArgv, logger } = options;
  let child: ChildProcess | null = null;
  let stopping = false;
  let restartTimer: NodeJS.Timeout | null = null;
  let quickDeaths = 0;

  const spawnChild = () => {
    restartTimer = null;
    const startedAt = Date.now();
    const c = fork(entry, ['worker'], {
      execArgv,
      env: {
        ...process.env,
        ROLE: 'worker',
        BILLING_WORKER_CONCURRENCY:
          process.env.BILLING_WORKER_CONCURRENCY ?? String(SHARED_MACHINE_BILLING_CONCURRENCY),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child = c;
    logger.info({ workerPid: c.pid }, 'worker process started');
    c.on('error', (err) => logger.error({ err }, 'worker process error'));
    c.on('exit', (code, signal) => {
      if (child === c) child = null;
      if (stopping) return;
      quickDeaths = Date.now() - startedAt < HEALTHY_AFTER_MS ? quickDeaths + 1 : 0;
      const delay = Math.min(MAX_RESTART_DELAY_MS, 1000 * 2 ** Math.max(0, quickDeaths - 1));
      logger.error({ code, signal, restartInMs: delay }, 'worker process exited; restarting it');
      restartTimer = setTimeout(spawnChild, delay);
    });
  };
  spawnChild();

  return {
    pid: () => child?.pid,
    async stop(graceMs = 12_000) {
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      c.kill('SIGTERM');
      const kill = setTimeout(() => c.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(kill);
    },
  };
}
