import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { isWebUrl, SandboxError, type SandboxEvent, type StripeSandbox } from './sandbox-state.ts';

/**
 * The sandbox's HTTP face: the Stripe API endpoints our SDK calls (`/v1/...`, form-encoded, bearer
 * secret key) and the hosted pages (`/checkout/:id`, `/portal/:id`, `/invoices/:id`): plain
 * server-rendered HTML with labelled buttons, no scripts.
 */
export function createSandboxRouter(sandbox: StripeSandbox): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: true, limit: '1mb' });

  // ------------------------------------------------------------------ API
  const api = express.Router();
  api.use(form);
  api.use((_req, _res, next) => {
    sandbox.requestsReceived++;
    if (sandbox.latencyMs > 0) setTimeout(next, sandbox.latencyMs);
    else next();
  });
  api.use((req, _res, next) => {
    const auth = req.get('authorization') ?? '';
    const key = /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
    if (key !== sandbox.secretKey) {
      next(new SandboxError(401, 'Invalid API Key provided', 'invalid_request_error'));
      return;
    }
    next();
  });
  const idem = (req: Request) => {
    const key = req.get('idempotency-key');
    return key ? `${req.method} ${req.path} ${key}` : undefined;
  };
  const body = (req: Request) => (req.body ?? {}) as Record<string, never>;
  const list = (req: Request, items: (SandboxEvent | Record<string, unknown>)[]) => {
    const limit = Math.min(Math.max(Number(req.query.limit ?? 10) || 10, 1), 100);
    let start = 0;
    const after = req.query.starting_after;
    if (typeof after === 'string') {
      const at = items.findIndex((i) => i.id === after);
      start = at === -1 ? items.length : at + 1;
    }
    const data = items.slice(start, start + limit);
    return { object: 'list', data, has_more: start + limit < items.length, url: `/v1${req.path}` };
  };

  api.post('/customers', (req, res) => {
    res.json(sandbox.idempotent(idem(req), () => sandbox.createCustomer(body(req))));
  });
  api.get('/customers/:id', (req, res) => {
    res.json(sandbox.customer(req.params.id!));
  });
  api.get('/prices/:id', (req, res) => {
    const p = sandbox.price(req.params.id!);
    res.json({
      id: p.id,
      object: 'price',
      currency: p.currency,
      unit_amount: p.unit_amount,
      nickname: p.nickname,
    });
  });
  api.post('/checkout/sessions', (req, res) => {
    res.json(sandbox.idempotent(idem(req), () => sandbox.createCheckoutSession(body(req))));
  });
  api.get('/checkout/sessions/:id', (req, res) => {
    res.json(sandbox.checkoutSession(req.params.id!));
  });
  api.post('/billing_portal/sessions', (req, res) => {
    res.json(sandbox.idempotent(idem(req), () => sandbox.createPortalSession(body(req))));
  });
  api.get('/subscriptions/:id', (req, res) => {
    res.json(sandbox.subscription(req.params.id!));
  });
  api.get('/subscriptions', (req, res) => {
    const q = req.query as Record<string, string | undefined>;
    res.json(list(req, sandbox.listSubscriptions({ customer: q.customer, status: q.status })));
  });
  api.get('/invoices/:id', (req, res) => {
    res.json(sandbox.invoice(req.params.id!));
  });
  api.get('/invoices', (req, res) => {
    const q = req.query as Record<string, string | undefined>;
    res.json(
      list(req, sandbox.listInvoices({ customer: q.customer, subscription: q.subscription })),
    );
  });
  api.get('/events/:id', (req, res) => {
    res.json(sandbox.event(req.params.id!));
  });
  api.get('/events', (req, res) => {
    const created = req.query.created;
    const range: Record<string, number | undefined> = {};
    if (created && typeof created === 'object') {
      for (const op of ['gte', 'gt', 'lte', 'lt'] as const) {
        const v = (created as Record<string, unknown>)[op];
        if (typeof v === 'string') range[op] = Number(v);
      }
    } else if (typeof created === 'string') {
      range.gte = Number(created);
      range.lte = Number(created);
    }
    const types = req.query.types ?? (req.query.type ? [req.query.type] : undefined);
    const typeList = Array.isArray(types)
      ? types.map(String)
      : types && typeof types === 'object'
        ? Object.values(types).map(String)
        : undefined;
    res.json(
      list(
        req,
        sandbox.listEvents({
          createdGte: range.gte,
          createdGt: range.gt,
          createdLte: range.lte,
          createdLt: range.lt,
          types: typeList,
        }),
      ),
    );
  });
  api.use((req, _res, next) => {
    next(
      new SandboxError(
        404,
        `Unrecognized request URL (${req.method}: /v1${req.path}). The ROI Spectrum sandbox serves only what billing uses.`,
      ),
    );
  });
  api.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e =
      err instanceof SandboxError
        ? err
        : new SandboxError(500, err instanceof Error ? err.message : 'error', 'api_error');
    res
      .status(e.status)
      .json({ error: { type: e.type, message: e.message, ...(e.code ? { code: e.code } : {}) } });
  });
  router.use('/v1', api);

  // ------------------------------------------------------------------ hosted pages
  router.get('/checkout/:id', (req, res) => {
    const { session, price } = sandbox.checkoutSessionForPage(req.params.id!);
    const open = session.status === 'open';
    res.type('html').send(
      page(
        'Sandbox checkout',
        `<h1>Subscribe to ${esc(price.nickname)}</h1>
         <p class="amount">${money(price.unit_amount, price.currency)} per month</p>
         <p>Test mode: this is the ROI Spectrum offline Stripe sandbox. Nobody is charged.</p>
         ${
           open
             ? `<form method="post" action="${sandbox.publicUrl}/checkout/${esc(session.id)}/pay"><button type="submit" name="pay">Pay</button></form>
                <form method="post" action="${sandbox.publicUrl}/checkout/${esc(session.id)}/cancel"><button type="submit" name="cancel">Cancel</button></form>`
             : `<p>This checkout session is <strong>${esc(String(session.status))}</strong>.</p>`
         }`,
      ),
    );
  });
  router.post('/checkout/:id/pay', form, (req, res) => {
    const { session } = sandbox.completeCheckout(req.params.id!);
    redirectBack(res, session.success_url, session.id);
  });
  router.post('/checkout/:id/cancel', form, (req, res) => {
    const session = sandbox.expireCheckout(req.params.id!);
    redirectBack(res, session.cancel_url ?? session.success_url, session.id);
  });

  router.get('/portal/:id', (req, res) => {
    const session = sandbox.portalSession(req.params.id!);
    const subs = sandbox.subscriptionsOf(String(session.customer));
    const invoices = sandbox.listInvoices({ customer: String(session.customer) }).slice(0, 10);
    const action = (name: string, label: string, subId: string) =>
      `<form method="post" action="${sandbox.publicUrl}/portal/${esc(session.id)}/action">
         <input type="hidden" name="subscription" value="${esc(subId)}">
         <button type="submit" name="action" value="${esc(name)}">${esc(label)}</button></form>`;
    const subHtml = subs.length
      ? subs
          .map((s) => {
            const item = (s.items as { data: Record<string, unknown>[] }).data[0]!;
            const price = item.price as {
              id: string;
              nickname: string;
              unit_amount: number;
              currency: string;
            };
            const end = new Date((item.current_period_end as number) * 1000)
              .toISOString()
              .slice(0, 10);
            const switches = sandbox.prices
              .filter((p) => p.id !== price.id)
              .map((p) => action(`switch:${p.id}`, `Switch to ${p.nickname}`, s.id))
              .join('');
            return `<section class="sub"><h2>${esc(price.nickname)} plan</h2>
              <p>Status: <strong class="status">${esc(String(s.status))}</strong>. ${
                s.cancel_at_period_end ? `Cancels on ${end}.` : `Renews on ${end}.`
              } ${money(price.unit_amount, price.currency)} per month.</p>
              ${switches}
              ${s.cancel_at_period_end ? action('resume', 'Resume subscription', s.id) : action('cancel', 'Cancel subscription', s.id)}
              ${action('cancel_now', 'Cancel immediately', s.id)}
              <h3>Test helpers</h3>
              ${action('fail_payment', 'Simulate failed payment', s.id)}
              ${action('recover', 'Simulate payment recovered', s.id)}
              ${action('mark_unpaid', 'Mark unpaid', s.id)}
              ${action('advance', 'Advance to period end', s.id)}
              </section>`;
          })
          .join('')
      : '<p>No active subscription.</p>';
    const invoiceHtml = invoices.length
      ? `<table><caption class="sr-only">Invoices</caption><tr><th scope="col">Invoice</th><th scope="col">Status</th><th scope="col">Amount</th></tr>${invoices
          .map(
            (i) =>
              `<tr><td>${esc(String(i.number ?? i.id))}</td><td>${esc(String(i.status))}</td><td>${money(i.amount_due as number, String(i.currency))}</td></tr>`,
          )
          .join('')}</table>`
      : '';
    res.type('html').send(
      page(
        'Sandbox customer portal',
        `<h1>Manage your subscription</h1>${subHtml}<h2>Invoices</h2>${invoiceHtml}
         ${isWebUrl(session.return_url) ? `<p><a href="${esc(session.return_url)}">Return to ROI Spectrum</a></p>` : ''}`,
      ),
    );
  });
  router.post('/portal/:id/action', form, (req, res) => {
    const session = sandbox.portalSession(req.params.id!);
    const { action = '', subscription = '' } = (req.body ?? {}) as Record<string, string>;
    const owned = sandbox
      .subscriptionsOf(String(session.customer))
      .some((s) => s.id === subscription);
    if (!owned) throw new SandboxError(404, 'No such subscription for this customer');
    if (action.startsWith('switch:')) sandbox.changePrice(subscription, action.slice(7));
    else if (action === 'cancel') sandbox.cancelAtPeriodEnd(subscription, true);
    else if (action === 'resume') sandbox.cancelAtPeriodEnd(subscription, false);
    else if (action === 'cancel_now') sandbox.cancelNow(subscription);
    else if (action === 'fail_payment') sandbox.failPayment(subscription);
    else if (action === 'recover') sandbox.recoverPayment(subscription);
    else if (action === 'mark_unpaid') sandbox.markUnpaid(subscription);
    else if (action === 'advance') sandbox.advancePeriod(subscription);
    else throw new SandboxError(400, `Unknown action ${action}`);
    res.redirect(303, `${sandbox.publicUrl}/portal/${session.id}`);
  });

  router.get('/invoices/:id', (req, res) => {
    const i = sandbox.invoice(req.params.id!);
    res.type('html').send(
      page(
        'Sandbox invoice',
        `<h1>Invoice ${esc(String(i.number ?? i.id))}</h1><p>Status: ${esc(String(i.status))}</p>
         <p>Amount due: ${money(i.amount_due as number, String(i.currency))}</p>`,
      ),
    );
  });

  router.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e =
      err instanceof SandboxError
        ? err
        : new SandboxError(500, err instanceof Error ? err.message : 'error');
    res
      .status(e.status)
      .type('html')
      .send(page('Sandbox error', `<h1>${e.status}</h1><p>${esc(e.message)}</p>`));
  });
  return router;
}

/** Back to the app after checkout: only to an http(s) URL (a state file may hold anything). */
function redirectBack(res: Response, url: unknown, sessionId: string) {
  if (!isWebUrl(url)) throw new SandboxError(400, 'This checkout session has no valid return URL');
  res.redirect(303, url.replace('{CHECKOUT_SESSION_ID}', sessionId));
}

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

const money = (minor: number, currency: string) =>
  new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() }).format(
    minor / 100,
  );

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1a1a2e}
form{display:inline-block;margin:.25rem .25rem .25rem 0}button{padding:.5rem 1rem;font-size:1rem;cursor:pointer}
.banner{background:#fff3cd;padding:.5rem 1rem;border-radius:4px}.amount{font-size:1.5rem}
section.sub{border:1px solid #ddd;border-radius:6px;padding:1rem;margin:1rem 0}table{border-collapse:collapse}td,th{padding:.25rem .75rem;text-align:left}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}</style>
</head><body><header><p class="banner">Stripe sandbox (test mode): offline, nothing is charged.</p></header>
<main>${body}</main></body></html>`;
}
