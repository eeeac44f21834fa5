import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appDataDir, appProcess, type AppProcess } from '../support/app-process.ts';
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
let dataDir: string;
let app: AppProcess;

function childEnv(port: number): NodeJS.ProcessEnv {
  return {
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
    // Each SMTP step may take a third of this (3 s): long enough to be killed mid-send, and
    // the restarted worker waits out no more of it than it must.
    MAIL_LEASE_MS: '9000',
    ...(server ? { DATABASE_URL: process.env.DATABASE_URL } : { DATA_DIR: dataDir }),
  };
}

beforeAll(async () => {
  smtp = await startSmtpServer();
  dataDir = await appDataDir('roi-mail-crash-');
  app = await appProcess({ env: childEnv, readyTimeoutMs: 150_000 });
  await app.start();
}, 180_000);

afterAll(async () => {
  await app?.stop('SIGKILL');
  await smtp?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('report e-mail across a kill -9 of the sending worker', () => {
  it('is delivered exactly once, with the same Message-ID', { timeout: 240_000 }, async () => {
    const client = new TestClient(app.baseUrl);
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

    // Only this test's message is held: on the server suite the child's worker also sends what
    // the other test files left queued, and holding those would keep it from reaching ours.
    smtp.holdFor = to;
    const sent = await client.post(`/api/v1/report-schedules/${schedule.body.id}/send`);
    expect(sent.status, sent.text).toBe(202);
    // The worker is inside the SMTP exchange (DATA sent, no answer yet): kill it there. Only this
    // test's recipient counts.
    await eventually(async () => smtp.dataStartedTo.includes(to), 30_000);
    await app.stop('SIGKILL');
    smtp.holdFor = null;
    expect(smtp.received.filter((m) => m.envelopeTo.includes(to))).toHaveLength(0);

    await app.start();
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
