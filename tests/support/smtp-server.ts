import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A message the test SMTP server accepted, parsed. */
export interface ReceivedMail {
  envelopeTo: string[];
  parsed: ParsedMail;
  messageId: string | undefined;
  raw: Buffer;
}

export interface TestSmtpServer {
  /** `smtp://127.0.0.1:<port>` for SMTP_URL. */
  url: string;
  port: number;
  received: ReceivedMail[];
  /** Messages whose DATA arrived (accepted or held): a held one is counted here, not in received. */
  dataStarted: number;
  /** The envelope recipients of every message whose DATA arrived (accepted or held). */
  dataStartedTo: string[];
  /**
   * While set, the server reads a message's DATA and then waits (neither accepts nor refuses):
   * a test kills the sending worker in that window.
   */
  hold: boolean;
  /** Like `hold`, for messages to this address only (others are accepted as usual). */
  holdFor: string | null;
  /** Answers every message with this SMTP error (e.g. 550) instead of accepting it. */
  rejectWith: number | null;
  close(): Promise<void>;
}

/** Starts a real SMTP server (smtp-server) on 127.0.0.1 that parses what arrives with mailparser. */
export async function startSmtpServer(): Promise<TestSmtpServer> {
  const state: TestSmtpServer = {
    url: '',
    port: 0,
    received: [],
    dataStarted: 0,
    dataStartedTo: [],
    hold: false,
    holdFor: null,
    rejectWith: null,
    close: async () => undefined,
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 200,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        state.dataStarted += 1;
        const to = session.envelope.rcptTo.map((r) => r.address);
        state.dataStartedTo.push(...to);
        // Never answers: the client times out or is killed.
        if (state.hold || (state.holdFor !== null && to.includes(state.holdFor))) return;
        if (state.rejectWith) {
          const err = Object.assign(new Error('Mailbox unavailable'), {
            responseCode: state.rejectWith,
          });
          callback(err);
          return;
        }
        const raw = Buffer.concat(chunks);
        simpleParser(raw)
          .then((parsed) => {
            state.received.push({
              envelopeTo: session.envelope.rcptTo.map((r) => r.address),
              parsed,
              messageId: parsed.messageId,
              raw,
            });
            callback();
          })
          .catch((err: Error) => callback(err));
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  state.port = port;
  state.url = `smtp://127.0.0.1:${port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
    });
  return state;
}
