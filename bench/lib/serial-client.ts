import net from 'node:net';

/**
 * A minimal HTTP/1.1 client for latencies measured one request at a time: one keep-alive
 * connection, each request written in one piece, each reply read by its Content-Length.
 *
 * It exists because the measuring client runs on the same two cores as the server: `node:http`'s
 * client (agent, parser, streams) added 0.1–0.2 ms at p50 and most of the p99 on these machines,
 * which is the client's cost, not the server's. Replies without Content-Length (chunked ones) are
 * refused rather than mismeasured.
 */
export class SerialClient {
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (reply: SerialReply) => void; reject: (e: Error) => void } | null =
    null;

  private constructor(
    private readonly socket: net.Socket,
    private readonly host: string,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  /** Opens the connection to `base` (`http://host:port`). */
  static async connect(base: string): Promise<SerialClient> {
    const url = new URL(base);
    const socket = net.connect(Number(url.port), url.hostname);
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new SerialClient(socket, url.host);
  }

  /** Sends a GET and resolves with the reply once its last byte has arrived. */
  get(path: string, headers: Record<string, string> = {}): Promise<SerialReply> {
    if (this.waiting) return Promise.reject(new Error('one request at a time'));
    let head = `GET ${path} HTTP/1.1\r\nhost: ${this.host}\r\n`;
    for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.write(`${head}\r\n`);
    });
  }

  close(): void {
    this.waiting = null;
    this.socket.destroy();
  }

  private onData(chunk: Buffer) {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    const headEnd = this.buffered.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const head = this.buffered.toString('latin1', 0, headEnd);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (!length) return this.fail(new Error(`reply without Content-Length: ${head.slice(0, 200)}`));
    const end = headEnd + 4 + Number(length[1]);
    if (this.buffered.length < end) return;
    const reply = {
      status: Number(head.slice(9, 12)),
      body: this.buffered.subarray(headEnd + 4, end),
    };
    this.buffered = this.buffered.subarray(end);
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.resolve(reply);
  }

  private fail(error: Error) {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.reject(error);
  }
}

export interface SerialReply {
  status: number;
  body: Buffer;
}
