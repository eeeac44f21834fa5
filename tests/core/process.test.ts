import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eventually } from '../support/factories.ts';
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

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
async function waitFor<T>(
  what: string,
  check: () => T | undefined,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Pids of the worker children an `all` process has logged starting, in order. */
function workerPids(output: string): number[] {
  return [...output.matchAll(/"workerPid":(\d+)[^\n]*"msg":"worker process started"/g)].map((m) =>
    Number(m[1]),
  );
}

/** Whether `pid` is a live process (a zombie, dead but not yet reaped, counts as gone). */
function isAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

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
        await eventually(async () => /worker started/.test(worker.output()), 60_000);
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

  it.runIf(process.env.DATABASE_URL && process.env.REDIS_URL)(
    'runs the worker of ROLE=all in a niced child process that is restarted and dies with it',
    async () => {
      const port = freePort();
      const p = startProcess([], {
        DATABASE_URL: process.env.DATABASE_URL!,
        REDIS_URL: process.env.REDIS_URL!,
        REDIS_PREFIX: `proc-all-${port}`,
        PORT: String(port),
      });
      const pids: number[] = [];
      try {
        await waitReady(`http://127.0.0.1:${port}/readyz`);
        const first = await waitFor('the worker child', () => workerPids(p.output())[0]);
        pids.push(first);
        expect(first).not.toBe(p.child.pid);
        // The child is the worker role, niced; the parent serves HTTP at normal priority.
        await waitFor('the child to start its worker', () =>
          p.output().includes(`"pid":${first},`) && /worker started/.test(p.output())
            ? true
            : undefined,
        );
        expect(os.getPriority(first)).toBe(10);
        expect(os.getPriority(p.child.pid)).toBe(os.getPriority());

        // A dead worker child is started again.
        process.kill(first, 'SIGKILL');
        const second = await waitFor('a restarted worker child', () => workerPids(p.output())[1]);
        pids.push(second);
        expect(second).not.toBe(first);
        expect(isAlive(second)).toBe(true);

        // The parent killed without a chance to clean up: the child does not outlive it.
        p.child.kill('SIGKILL');
        await p.exited;
        await waitFor('the worker child to exit', () => (isAlive(second) ? undefined : true));
      } finally {
        p.child.kill('SIGKILL');
        for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      }
    },
    150_000,
  );

  it.runIf(process.env.DATABASE_URL && process.env.REDIS_URL)(
    'stops ROLE=all and its worker child cleanly on SIGTERM',
    async () => {
      const port = freePort();
      const p = startProcess([], {
        DATABASE_URL: process.env.DATABASE_URL!,
        REDIS_URL: process.env.REDIS_URL!,
        REDIS_PREFIX: `proc-all-${port}`,
        PORT: String(port),
      });
      let child: number | undefined;
      try {
        await waitReady(`http://127.0.0.1:${port}/readyz`);
        child = await waitFor('the worker child', () => workerPids(p.output())[0]);
        await waitFor('the child to start its worker', () =>
          /worker started/.test(p.output()) ? true : undefined,
        );
        p.child.kill('SIGTERM');
        expect(await p.exited).toBe(0);
        expect(isAlive(child)).toBe(false);
        // The parent did not restart the child it was stopping.
        expect(workerPids(p.output())).toHaveLength(1);
      } finally {
        p.child.kill('SIGKILL');
        if (child && isAlive(child)) process.kill(child, 'SIGKILL');
      }
    },
    150_000,
  );
});
