import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/server/lib/project-root.ts';
import { eventually, PASSWORD, uniq } from '../support/factories.ts';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp-server.ts';
import { TestClient } from '../support/test-client.ts';

/**
 * The application (API + worker in one process: no REDIS_URL) runs as a child process and is
 * killed with SIGKILL while its worker is in the middle of sending a report e-mail (the SMTP
 * server holds the message without answering). After a restart the lease on the message expires
 * and it is sent again: the recipient gets exactly one message, with the Message-ID derived from
 * the schedule and period key. On PostgreSQL with DATABASE_URL, else on an embedded database in
 * a data directory of its own.
 */
const server = Boolean(process.env.DATABASE_URL);
let smtp: TestSmtpServer;
let port: number;
let dataDir: string;
let child: ChildProcess | null = null;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

function startChild(): ChildProcess {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    PORT: String(port),
    HOST: '127.0.0.1',
    APP_URL: `http://127.0.0.1:${port}`,
    RATE_LIMIT_RPM: '0',
    SMTP_URL: smtp.url,
    MAIL_FROM: 'Reports <reports@crash.test>',
    MAIL_POLL_MS: '100',
    // Each SMTP step may take a third of this: long enough to be killed mid-send.
    MAIL_LEASE_MS: '15000',
    ...(server ? { DATABASE_URL: process.env.DATABASE_URL } : { DATA_DIR: dataDir }),
  };
  const c = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts', 'all'], {
    cwd: projectRoot(),
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  c.stderr?.on('data', (d: Buffer) => process.stderr.write(`[child] ${d.toString()}`));
  return c;
}

async function waitReady() {
  await eventually(async () => {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null);
    return res?.status === 200;
  }, 150_000);
}

async function stopChild(signal: NodeJS.Signals) {
  const c = child;
  child = null;
  if (!c || c.exitCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill(signal);
  await exited;
}

beforeAll(async () => {
  smtp = await startSmtpServer();
  port = await freePort();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roi-mail-crash-'));
  child = startChild();
  await waitReady();
}, 180_000);

afterAll(async () => {
  await stopChild('SIGKILL');
  await smtp?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('report e-mail across a kill -9 of the sending worker', () => {
  it('is delivered exactly once, with the same Message-ID', { timeout: 240_000 }, async () => {
    const base = `http://127.0.0.1:${port}`;
    const client = new TestClient(base);
    expect(
      (
        await client.post('/api/v1/auth/signup', {
          email: `crash-${uniq()}@example.test`,
          password: PASSWORD,
          name: 'C',
        })
      ).status,
    ).toBe(201);
    const t = await client.post('/api/v1/tenants', { name: 'Crash', subdomain: `crash-${uniq()}` });
    expect(t.status, t.text).toBe(201);
    client.tenant = t.body.id;
    const site = await client.post('/api/v1/sites', {
      name: 'Shop',
      domain: `${uniq()}.example.com`,
    });
    expect(site.status).toBe(201);
    const to = `client-${uniq()}@example.test`;
    const schedule = await client.post('/api/v1/report-schedules', {
      name: 'Weekly report',
      siteIds: [site.body.id],
      recipients: [to],
      frequency: 'weekly',
      dayOfWeek: 1,
      hour: 6,
      period: { preset: 'last_30_days' },
      attachPdf: false,
    });
    expect(schedule.status, schedule.text).toBe(201);

    smtp.hold = true;
    const sent = await client.post(`/api/v1/report-schedules/${schedule.body.id}/send`);
    expect(sent.status, sent.text).toBe(202);
    // The worker is inside the SMTP exchange (DATA sent, no answer yet): kill it there.
    await eventually(async () => smtp.dataStarted >= 1, 30_000);
    await stopChild('SIGKILL');
    smtp.hold = false;
    expect(smtp.received).toHaveLength(0);

    child = startChild();
    await waitReady();
    const mail = await eventually(
      async () => smtp.received.find((m) => m.envelopeTo.includes(to)),
      // The lease must expire first (or, had the send timed out before the kill, its backoff).
      90_000,
    );
    expect(mail.messageId).toBe(`<${schedule.body.id}.${sent.body.periodKey}@crash.test>`);
    const deliveries = await eventually(async () => {
      const list = await client.get(`/api/v1/report-schedules/${schedule.body.id}/deliveries`);
      return list.body.data?.[0]?.status === 'sent' ? list.body.data : null;
    }, 30_000);
    expect(deliveries).toHaveLength(1);
    const outbox = await client.get('/api/v1/outbox');
    const reports = outbox.body.data.filter((m: { kind: string }) => m.kind === 'report');
    expect(reports).toHaveLength(1);
    const detail = await client.get(`/api/v1/outbox/${reports[0].id}`);
    // Two tries of one message: the killed (or timed-out) one and the one that went through.
    expect(detail.body).toMatchObject({ status: 'sent', attempts: 2 });
    expect(smtp.received.filter((m) => m.envelopeTo.includes(to))).toHaveLength(1);
  });
});
