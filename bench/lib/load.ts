import http from 'node:http';

export interface LoadResult {
  /** Requests answered while measuring. */
  requests: number;
  /** Requests answered in all, warm-up included (what the server's CPU time was spent on). */
  answered: number;
  errors: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  /** Every measured latency, in ms, sorted. */
  latencies: number[];
}

export interface LoadOptions {
  url: string;
  headers?: Record<string, string>;
  concurrency: number;
  durationMs: number;
  warmupMs?: number;
}

/** Percentile of sorted milliseconds. */
export const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;

function get(agent: http.Agent, url: URL, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, host: url.hostname, port: url.port, path: url.pathname + url.search, headers },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Closed-loop load: `concurrency` clients on keep-alive connections, each sending one request at a time. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const url = new URL(options.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const headers = options.headers ?? {};
  const latencies: number[] = [];
  let errors = 0;
  let answered = 0;
  let measuring = false;
  const warmupEnd = Date.now() + (options.warmupMs ?? 1000);
  const end = warmupEnd + options.durationMs;
  let started = 0;
  const client = async () => {
    while (Date.now() < end) {
      if (!measuring && Date.now() >= warmupEnd) {
        measuring = true;
        started = performance.now();
      }
      const t0 = performance.now();
      try {
        const status = await get(agent, url, headers);
        answered += 1;
        if (measuring) {
          latencies.push(performance.now() - t0);
          if (status >= 400) errors += 1;
        }
      } catch {
        if (measuring) errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, client));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    answered,
    errors,
    seconds,
    rps: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    latencies,
  };
}

/** Several runs of the same load as one: requests and seconds summed, latencies pooled. */
export function mergeLoads(runs: LoadResult[]): LoadResult {
  const latencies = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const seconds = runs.reduce((sum, r) => sum + r.seconds, 0);
  return {
    requests: latencies.length,
    answered: runs.reduce((sum, r) => sum + r.answered, 0),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    seconds,
    rps: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    latencies,
  };
}

/** One request at a time (latency without queueing). */
export async function runSerial(options: Omit<LoadOptions, 'concurrency'>): Promise<LoadResult> {
  return runLoad({ ...options, concurrency: 1 });
}
