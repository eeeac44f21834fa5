import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** Runs src/server/main.ts as `npm start` runs the built bundle: a real process with its own env. */
function startProcess(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts', ...args], {
    env: { PATH: process.env.PATH!, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

async function waitReady(url: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} never became ready`);
}

const freePort = () => 40_000 + Math.floor(Math.random() * 20_000);

describe('the process', () => {
  it('stops at start with a message naming a bad variable', async () => {
    const p = startProcess([], { PORT: 'eighty', RATE_LIMIT_RPM: 'lots' });
    expect(await p.exited).toBe(1);
    expect(p.output()).toMatch(/PORT/);
    expect(p.output()).toMatch(/RATE_LIMIT_RPM/);
  });

  it('rejects an unknown role', async () => {
    const p = startProcess(['scheduler'], {});
    expect(await p.exited).toBe(1);
    expect(p.output()).toMatch(/ROLE: must be all, api or worker/);
  });

  it('serves, becomes ready, and shuts down cleanly on SIGTERM', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roi-proc-'));
    const port = freePort();
    const env: Record<string, string> = { PORT: String(port), DATA_DIR: dataDir };
    if (process.env.DATABASE_URL) env.DATABASE_URL = process.env.DATABASE_URL;
    const p = startProcess([], env);
    try {
      await waitReady(`http://127.0.0.1:${port}/readyz`);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      expect(p.output()).toMatch(/shutting down/);
    } finally {
      p.child.kill('SIGKILL');
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);

  it.runIf(process.env.DATABASE_URL && process.env.REDIS_URL)(
    'runs the api and the worker as separate processes on one database and Redis',
    async () => {
      const port = freePort();
      const env = {
        DATABASE_URL: process.env.DATABASE_URL!,
        REDIS_URL: process.env.REDIS_URL!,
        REDIS_PREFIX: `proc-${port}`,
      };
      const api = startProcess(['api'], { ...env, PORT: String(port) });
      const worker = startProcess(['--role=worker'], env);
      try {
        await waitReady(`http://127.0.0.1:${port}/readyz`);
        const ready = await (await fetch(`http://127.0.0.1:${port}/readyz`)).json();
        expect(ready.checks).toEqual({ database: 'ok', redis: 'ok', queue: 'ok' });
        await new Promise((r) => setTimeout(r, 1500));
        expect(worker.output()).toMatch(/worker started/);
        expect(worker.child.exitCode).toBeNull();
        // The worker yields the CPU to requests (WORKER_NICE, default 10); the api does not.
        expect(os.getPriority(worker.child.pid)).toBe(10);
        expect(os.getPriority(api.child.pid)).toBe(os.getPriority());
      } finally {
        api.child.kill('SIGTERM');
        worker.child.kill('SIGTERM');
        expect(await api.exited).toBe(0);
        expect(await worker.exited).toBe(0);
      }
    },
    90_000,
  );
});
