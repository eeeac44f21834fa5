import nodemailer from 'nodemailer';
import { assertOutsideTransaction } from '../data/scoped-transaction.ts';

/** One message as the mail server gets it. */
export interface OutgoingMail {
  from: { name: string; address: string };
  to: string[];
  subject: string;
  text: string;
  html: string;
  /** `<…@domain>`: the same on every try of one message, so a resend is recognisably the same. */
  messageId: string;
  attachments: { filename: string; contentType: string; content: Buffer }[];
}

/** Sends mail; rejects with the server's answer when it refuses. */
export interface Mailer {
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/** A failure the mail server gave as permanent (5xx): trying again would not help. */
export function isPermanentMailError(error: unknown): boolean {
  const code = (error as { responseCode?: unknown } | null)?.responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

/**
 * A mailer for SMTP_URL through nodemailer. Every send waits on the network, so it refuses to
 * run inside a database transaction; `timeoutMs` bounds each step, below the worker's lease.
 */
export function createSmtpMailer(smtpUrl: string, timeoutMs: number): Mailer {
  const url = new URL(smtpUrl);
  const transport = nodemailer.createTransport({
    host: url.hostname,
    port: url.port ? Number(url.port) : url.protocol === 'smtps:' ? 465 : 587,
    secure: url.protocol === 'smtps:',
    auth: url.username
      ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
      : undefined,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    // A local development server (the tests', MailHog) offers STARTTLS with a self-signed
    // certificate or none; require it only where the URL asks (?requireTLS=true).
    requireTLS: url.searchParams.get('requireTLS') === 'true',
    ignoreTLS: url.searchParams.get('ignoreTLS') === 'true',
  });
  return {
    async send(mail) {
      assertOutsideTransaction('sending mail');
      await transport.sendMail({
        from: mail.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId: mail.messageId,
        attachments: mail.attachments,
        disableFileAccess: true,
        disableUrlAccess: true,
      });
    },
    close() {
      transport.close();
    },
  };
}
