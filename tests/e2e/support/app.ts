import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface RunningApp {
  baseUrl: string;
  port: number;
  dataDir: string;
  logs: () => string;
  stop: () => Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts the app the way `npm start` does (node scripts/start.mjs) on a free port with a fresh
 * embedded database: no DATABASE_URL, REDIS_URL, MONGODB_URL or Stripe keys, so billing runs on
 * the offline sandbox. Resolves once /readyz answers 200. A DATA_DIR in `extraEnv` is the
 * caller's (an app started again on the same data): stop() leaves it in place.
 */
export async function startApp(extraEnv: Record<string, string> = {}): Promise<RunningApp> {
  const port = await freePort();
  const ownsDataDir = !extraEnv.DATA_DIR;
  const dataDir = extraEnv.DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'roi-e2e-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    DATA_DIR: dataDir,
    ...extraEnv,
  };
  for (const key of Object.keys(env)) {
    if (
      /^(DATABASE_URL|REDIS_URL|MONGODB_URL|STRIPE_|APP_URL$|BASE_DOMAIN$)/.test(key) &&
      !(key in extraEnv)
    )
      delete env[key];
  }
  let output = '';
  const child: ChildProcess = spawn(process.execPath, [path.join(root, 'scripts/start.mjs')], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );

  // localhost, not 127.0.0.1: the app's default APP_URL is http://localhost:<PORT>, and checkout
  // redirects back there; the session cookie must be for the same host.
  const baseUrl = `http://localhost:${port}`;
  const deadline = Date.now() + 240_000;
  let ready = false;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const res = await fetch(`${baseUrl}/readyz`);
      if (res.ok) {
        ready = true;
        break;
      }
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  if (!ready) {
    child.kill('SIGKILL');
    throw new Error(`the app did not become ready on ${baseUrl}:\n${output.slice(-4000)}`);
  }
  return {
    baseUrl,
    port,
    dataDir,
    logs: () => output,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      if (ownsDataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
