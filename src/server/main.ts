import type { Server } from 'node:http';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from './config.ts';
import { createHttpServer } from './http/app.ts';
import { createLogger } from './logger.ts';
import { createServices } from './services.ts';
import { startWorkerProcess, type WorkerProcess } from './worker/worker-process.ts';
import { startWorker } from './worker/worker.ts';

type ProcessRole = 'all' | 'api' | 'worker';

/** The role from `npm start -- api`, `--role=worker` or ROLE; `all` by default. */
function parseRole(argv: string[], env: NodeJS.ProcessEnv): ProcessRole {
  const arg =
    argv.find((a) => !a.startsWith('-')) ??
    argv.find((a) => a.startsWith('--role='))?.slice(7) ??
    env.ROLE ??
    'all';
  if (arg === 'all' || arg === 'api' || arg === 'worker') return arg;
  throw new ConfigError(
    `Invalid configuration:\n  ROLE: must be all, api or worker (got "${arg}")`,
  );
}

async function main() {
  let config;
  let role: ProcessRole;
  try {
    config = loadConfig();
    role = parseRole(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.LOG_LEVEL);
  // A worker forked by an `all` process (it has an IPC channel) stops when that process goes,
  // however abruptly: the channel closes. Until it has started, it just exits.
  let onParentGone: () => void = () => process.exit(0);
  if (role === 'worker' && process.send) {
    process.on('disconnect', () => onParentGone());
    if (!process.connected) process.exit(0);
  }
  if (role === 'worker' && config.WORKER_NICE > 0) {
    try {
      os.setPriority(config.WORKER_NICE);
    } catch (err) {
      logger.warn({ err }, 'could not lower the worker process priority');
    }
  }
  const services = await createServices(config, logger);
  // ROLE=all on PostgreSQL + Redis runs the worker role in a child process, so a burst of
  // background work does not slow requests on this event loop. The embedded database belongs to
  // this process and the in-process queue lives here, so without either the worker stays here.
  const ownProcess = role === 'all' && Boolean(config.DATABASE_URL && config.REDIS_URL);
  let workerProcess: WorkerProcess | null = null;
  if (ownProcess) {
    workerProcess = startWorkerProcess({
      entry: fileURLToPath(import.meta.url),
      execArgv: process.execArgv,
      logger,
    });
  }
  const worker = role === 'api' || ownProcess ? null : await startWorker(services);

  let server: Server | null = null;
  if (role !== 'worker') {
    const s = createHttpServer(services);
    server = await new Promise<Server>((resolve) => {
      s.listen(config.PORT, config.HOST, () => resolve(s));
    });
  }
  logger.info(
    {
      role,
      port: server ? config.PORT : undefined,
      database: services.database.kind === 'pglite' ? `embedded (${config.dataDir})` : 'postgresql',
      queue: services.queue.kind,
      billing: config.stripeMode,
    },
    role === 'worker'
      ? 'ROI Spectrum worker started'
      : `ROI Spectrum listening on ${config.appUrl}`,
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    // The child worker stops meanwhile: requests still being answered only enqueue (to Redis).
    const workerProcessStopped = workerProcess?.stop();
    if (server) {
      await new Promise<void>((resolve) => {
        server!.close(() => resolve());
        server!.closeIdleConnections();
      });
    }
    await workerProcessStopped;
    await worker?.stop();
    await services.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  onParentGone = () => void shutdown('parent exited');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
