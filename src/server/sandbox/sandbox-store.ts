import fs from 'node:fs';
import type { Obj, SandboxEvent } from './sandbox-objects.ts';

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
  }

  /** Schedules a write of the state (changes within 200 ms share it). */
  changed() {
    if (!this.file || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const tmp = `${this.file}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(this.state));
      fs.renameSync(tmp, this.file!);
    }, 200);
    this.timer.unref();
  }

  /**
   * Writes the state now and fsyncs it: for objects whose id the app stores (a customer), which
   * must survive a kill -9 of the process before the id is handed out.
   */
  persistDurably() {
    if (!this.file) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const tmp = `${this.file}.tmp`;
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, JSON.stringify(this.state));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
  }

  /** Writes the state now (a benchmark hands a prepared state to a sandbox process). */
  persistNow() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.file) fs.writeFileSync(this.file, JSON.stringify(this.state));
  }

  /** Writes what is still pending. */
  close() {
    if (this.timer) this.persistNow();
  }
}
