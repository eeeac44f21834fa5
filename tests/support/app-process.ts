import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/server/data/database.ts';
import { projectRoot } from '../../src/server/lib/project-root.ts';
import { eventually } from './factories.ts';

/**
 * The application in a child process (`node --import tsx src/server/main.ts all`, API + worker),
 * for the tests that kill it with SIGKILL mid-work and restart it: billing, Google sync and
 * report mail crash tests. Its stdout is ignored; its stderr is echoed with a `[child]` prefix.
 */
export interface AppProcess {
  readonly port: number;
  /** http://127.0.0.1:<port> */
  readonly baseUrl: string;
  /** Spawns the app (environment from the factory given to `appProcess`); resolves once /readyz answers 200. */
  start(): Promise<void>;
  /** Sends `signal` to its process group and waits for the exit; nothing when it is not running. */
  stop(signal: NodeJS.Signals): Promise<void>;
}

/** A free loopback port (the child is told to listen on it, so APP_URL can name it up front). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/**
 * An app process on a free port. `env(port)` is the child's whole environment (nothing is
 * inherited), built again at every start so a test may change it between restarts.
 */
export async function appProcess(options: {
  env: (port: number) => NodeJS.ProcessEnv;
  /** How long a start may take to answer /readyz (a loaded machine is slow). */
  readyTimeoutMs: number;
}): Promise<AppProcess> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  return {
    port,
    baseUrl,
    async start() {
      if (child) throw new Error('the app process is already running');
      const c = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts', 'all'], {
        cwd: projectRoot(),
        env: options.env(port),
        // Its own process group: a signal to the group reaches the worker child that `all` runs
        // on PostgreSQL + Redis too, as a crash of the machine's process tree would.
        detached: true,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      c.stderr?.on('data', (d: Buffer) => process.stderr.write(`[child] ${d.toString()}`));
      child = c;
      // A child that dies before it is ready fails the start at once, not at the deadline.
      const died = new Promise<never>((_, reject) =>
        c.once('exit', (code, signal) =>
          reject(new Error(`the app process exited (${code ?? signal}) before it was ready`)),
        ),
      );
      died.catch(() => undefined); // a later exit (a stop) is no error
      await Promise.race([
        eventually(async () => {
          const res = await fetch(`${baseUrl}/readyz`).catch(() => null);
          return res?.status === 200;
        }, options.readyTimeoutMs),
        died,
      ]);
    },
    async stop(signal) {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      process.kill(-c.pid!, signal);
      await exited;
    },
  };
}

/**
 * A new DATA_DIR for an app process. On the embedded suite it already holds the migrated
 * database of tests/support/pglite-template.ts, so the child skips initdb and the migrations (it
 * still runs `migrate`, which checks the checksums); without the template (a server run) it is
 * empty and the child creates its database as a first start does.
 */
export async function appDataDir(prefix: string): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const template = process.env.TEST_PGLITE_TEMPLATE;
  if (template) {
    const database = await openDatabase({
      dataDir: dir,
      loadDataDir: new Blob([fs.readFileSync(template)]),
    });
    await database.close();
  }
  return dir;
}
