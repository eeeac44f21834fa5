import Stripe from 'stripe';
import { now, type SandboxEvent } from './sandbox-objects.ts';

/**
 * Delivers the sandbox's events to the webhook like Stripe does: signed, at least once, a few at
 * a time, retried with backoff on failure (Stripe for days; the sandbox a few times, quickly).
 */
export class WebhookSender {
  /** Deliveries that got a 2xx, and the others. */
  readonly stats = { ok: 0, failed: 0 };
  private readonly outbox: { event: SandboxEvent; attempt: number }[] = [];
  private delivering = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly secret: string,
    private readonly urlOf: () => string | null,
    private readonly concurrency: number,
  ) {}

  /** Queues one event for delivery. */
  send(event: SandboxEvent) {
    this.outbox.push({ event, attempt: 1 });
    setImmediate(() => this.pump());
  }

  /** The `Stripe-Signature` header of `payload` at `timestamp` (seconds), as Stripe computes it. */
  signatureHeader(payload: string, timestamp = now(), secret = this.secret): string {
    return Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
  }

  /** POSTs one event to `url`, signed; resolves to the HTTP status. */
  async deliver(event: SandboxEvent, url = this.urlOf()): Promise<number> {
    if (!url) throw new Error('no webhook URL');
    const payload = JSON.stringify(event, null, 2);
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        'stripe-signature': this.signatureHeader(payload),
      },
      body: payload,
    });
    await res.arrayBuffer();
    return res.status;
  }

  private pump() {
    while (!this.closed && this.delivering < this.concurrency && this.outbox.length > 0) {
      const item = this.outbox.shift()!;
      this.delivering += 1;
      void this.deliver(item.event)
        .then((status) => status >= 200 && status < 300)
        .catch(() => false)
        .then((ok) => {
          this.delivering -= 1;
          if (ok) this.stats.ok += 1;
          else {
            this.stats.failed += 1;
            if (item.attempt < 6 && !this.closed) {
              const t = setTimeout(
                () => {
                  this.timers.delete(t);
                  this.outbox.push({ event: item.event, attempt: item.attempt + 1 });
                  this.pump();
                },
                250 * 2 ** item.attempt,
              );
              t.unref();
              this.timers.add(t);
            }
          }
          this.pump();
        });
    }
  }

  /** Resolves once every queued delivery has been attempted. */
  async drain(): Promise<void> {
    while (this.outbox.length > 0 || this.delivering > 0)
      await new Promise((r) => setTimeout(r, 10));
  }

  /** Stops retrying; deliveries in flight finish on their own. */
  close() {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
  }
}
