import fs from 'node:fs';
import type { Obj, SandboxEvent } from './sandbox-objects.ts';

/** The collections whose objects are made durable one at a time. */
export type Collection = 'customers' | 'checkoutSessions' | 'portalSessions';

/** Everything the sandbox knows, as one JSON-serializable object. */
export interface State {
  customers: Record<string, Obj>;
  checkoutSessions: Record<string, Obj>;
  portalSessions: Record<string, Obj>;
  subscriptions: Record<string, Obj>;
  invoices: Record<string, Obj>;
  /** Oldest first. */
  events: SandboxEvent[];
  idempotency: Record<string, unknown>;
  invoiceCounter: number;
}

const emptyState = (): State => ({
  customers: {},
  checkoutSessions: {},
  portalSessions: {},
  subscriptions: {},
  invoices: {},
  events: [],
  idempotency: {},
  invoiceCounter: 0,
});

/**
 * The sandbox's state and its file (none: in memory). Most changes are written 200 ms later, in
 * one write; those whose ids leave the sandbox are written and fsynced before it answers.
 */
export class SandboxStore {
  readonly state: State;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly file?: string) {
    this.state = emptyState();
    if (!file) return;
    try {
      Object.assign(this.state, JSON.parse(fs.readFileSync(file, 'utf8')) as State);
    } catch {
      // No file yet (or unreadable): start empty.
    }
    this.replayJournal();
  }

  /** The journal of durable writes made since the state file was last written whole. */
  private get journal(): string {
    return `${this.file}.journal`;
  }

  /** Applies the journal's objects (a torn last line, cut by a crash mid-write, is skipped). */
  private replayJournal() {
    let text: string;
    try {
      text = fs.readFileSync(this.journal, 'utf8');
    } catch {
      return;
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const { collection, object } = JSON.parse(line) as { collection: Collection; object: Obj };
        this.state[collection][object.id as string] = object;
      } catch {
        // A line a crash cut short: its id was never handed out.
      }
    }
  }

  /** Schedules a write of the state (changes within 200 ms share it). */
  changed() {
    if (!this.file || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.writeWhole();
    }, 200);
    this.timer.unref();
  }

  /**
   * Makes one object durable now, before its id leaves the sandbox (the app stores a customer id;
   * a browser gets a session URL), so it survives a kill -9 of the process: one fsynced line
   * appended to the journal, whatever the size of the state. The next whole write folds it in.
   */
  persistDurably(collection: Collection, object: Obj) {
    if (!this.file) return;
    const fd = fs.openSync(this.journal, 'a', 0o600);
    try {
      fs.writeSync(fd, `${JSON.stringify({ collection, object })}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    this.changed();
  }

  /** Writes the whole state (through a temporary file and a rename), then empties the journal. */
  private writeWhole() {
    if (!this.file) return;
    const tmp = `${this.file}.tmp`;
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, JSON.stringify(this.state));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
    fs.rmSync(this.journal, { force: true });
  }

  /** Writes the state now (a benchmark hands a prepared state to a sandbox process). */
  persistNow() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.writeWhole();
  }

  /** Writes what is still pending. */
  close() {
    if (this.timer) this.persistNow();
  }
}
