import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import {
  getSubscription,
  listInvoices,
  listPlans,
  openPortal,
  startCheckout,
} from '../../api/endpoints.ts';
import type { PlanT, SubscriptionT } from '../../api/endpoints.ts';
import { DataTable } from '../../components/data-table.tsx';
import {
  Alert,
  Badge,
  Button,
  Card,
  EmptyState,
  FormError,
  Loadable,
  PageHeader,
} from '../../components/ui.tsx';
import { formatDate } from '../../lib/dates.ts';
import { formatMoney } from '../../lib/money.ts';
import { useResource } from '../../lib/use-resource.ts';
import { useSubmit } from '../../lib/use-submit.ts';
import { useWorkspace } from '../../session/workspace.tsx';

const STATUS_TONE: Record<string, 'good' | 'warn' | 'bad' | 'neutral' | 'info'> = {
  active: 'good',
  trialing: 'info',
  past_due: 'warn',
  unpaid: 'bad',
  canceled: 'bad',
  incomplete: 'warn',
  incomplete_expired: 'bad',
  paused: 'neutral',
  none: 'neutral',
};
const PLAN_ORDER: string[] = ['free', 'starter', 'pro', 'agency'];

const limitText = (n: number | null | undefined, what: string) =>
  n === null || n === undefined ? `Unlimited ${what}` : `${n} ${what}`;

function PlanCard({
  plan,
  current,
  switching,
  onChoose,
  busy,
}: {
  plan: PlanT;
  current: boolean;
  /** A subscription runs: other plans are reached through the portal, not a new checkout. */
  switching: boolean;
  onChoose: () => void;
  busy: boolean;
}) {
  const label = `${switching ? 'Switch to' : 'Choose'} ${plan.name}`;
  return (
    <div className={`plan${current ? ' plan-current' : ''}`} data-testid={`plan-${plan.id}`}>
      <h3>{plan.name}</h3>
      <div className="plan-price">
        {plan.price === 0 ? 'Free' : formatMoney(plan.price, plan.currency)}
        {plan.price > 0 && <span className="muted"> / month</span>}
      </div>
      <ul className="plan-limits">
        <li>{limitText(plan.limits.sites, 'sites')}</li>
        <li>{limitText(plan.limits.members, 'members')}</li>
        <li>
          {plan.limits.auditRetentionDays === null
            ? 'Audit log kept forever'
            : `Audit log kept ${plan.limits.auditRetentionDays} days`}
        </li>
      </ul>
      {current ? (
        <Badge tone="info">Current plan</Badge>
      ) : plan.id === 'free' ? (
        switching ? (
          <span className="muted small">Cancel in “Manage subscription”</span>
        ) : null
      ) : (
        <Button variant={switching ? 'secondary' : 'primary'} onClick={onChoose} busy={busy}>
          {label}
        </Button>
      )}
    </div>
  );
}

/**
 * The one date that matters now, never two that disagree: while a payment is late, until when
 * access lasts (not a renewal that may not happen); a subscription set to cancel, when it ends;
 * a running one, when it renews; none for an ended or free one.
 */
function PlanDate({ s }: { s: SubscriptionT }) {
  let label: string;
  let date: string | null;
  if (s.pastDue) {
    label = 'Access until';
    date = s.graceEndsAt ?? null;
  } else if (s.cancelAtPeriodEnd) {
    label = 'Ends on';
    date = s.currentPeriodEnd;
  } else if (s.status === 'active' || s.status === 'trialing') {
    label = 'Renews on';
    date = s.currentPeriodEnd;
  } else return null;
  return (
    <div data-testid="plan-date">
      <div className="muted small">{label}</div>
      <div>{date ? formatDate(date) : '—'}</div>
    </div>
  );
}

/** Statuses in which a Stripe subscription still exists, so a plan change goes through the portal. */
const RUNNING = new Set(['active', 'trialing', 'past_due', 'unpaid', 'incomplete', 'paused']);

export function BillingPage() {
  const { tenant, reloadSettings } = useWorkspace();
  const [params, setParams] = useSearchParams();
  // The checkout's answer is read once, then dropped from the address: a reload, or coming back
  // to this page later, does not thank again.
  const [checkoutResult, setCheckoutResult] = useState(() => params.get('checkout'));
  useEffect(() => {
    if (params.has('checkout')) {
      setCheckoutResult(params.get('checkout'));
      const rest = new URLSearchParams(params);
      rest.delete('checkout');
      rest.delete('session_id');
      setParams(rest, { replace: true });
    }
  }, [params, setParams]);
  const plans = useResource(() => listPlans(), []);
  const subscription = useResource<SubscriptionT>((signal) => getSubscription(signal), [tenant.id]);
  const invoices = useResource(() => listInvoices(), [tenant.id]);
  const checkout = useSubmit(async (plan: string) => {
    const session = await startCheckout(plan);
    window.location.assign(session.url);
  });
  const portal = useSubmit(async () => {
    const session = await openPortal();
    window.location.assign(session.url);
  });

  // Back from checkout: the webhook may land a moment after the redirect, so look again a few times.
  const reloadSub = subscription.reload;
  const reloadInvoices = invoices.reload;
  useEffect(() => {
    if (checkoutResult !== 'success') return;
    let n = 0;
    const timer = setInterval(() => {
      n += 1;
      reloadSub();
      reloadInvoices();
      reloadSettings();
      if (n >= 8) clearInterval(timer);
    }, 1500);
    return () => clearInterval(timer);
  }, [checkoutResult, reloadSub, reloadInvoices, reloadSettings]);

  const sub = subscription.data;
  const currentPlan = sub?.plan ?? 'free';
  const running = !!sub && RUNNING.has(sub.status) && sub.subscribedPlan !== null;

  return (
    <>
      <PageHeader
        title="Billing"
        actions={
          sub && sub.status !== 'none' ? (
            <Button onClick={() => void portal.run()} busy={portal.busy}>
              Manage subscription
            </Button>
          ) : null
        }
      >
        Your plan, its limits, payment and invoices.
      </PageHeader>
      {checkoutResult === 'success' && (
        <Alert kind="success" title="Thank you: payment received">
          Your plan updates as soon as the payment is confirmed, usually within seconds.{' '}
          <button type="button" className="link-btn" onClick={() => setCheckoutResult(null)}>
            Dismiss
          </button>
        </Alert>
      )}
      {(checkoutResult === 'cancel' ||
        checkoutResult === 'canceled' ||
        checkoutResult === 'cancelled') && (
        <Alert kind="info" title="Checkout canceled">
          Nothing was charged.
        </Alert>
      )}
      <FormError error={checkout.error ?? portal.error} />

      <Card title="Current plan">
        <Loadable resource={subscription} label="the subscription">
          {(s) => (
            <div className="current-plan" data-testid="current-plan">
              <div>
                <div className="muted small">Plan</div>
                <div className="current-plan-name">
                  {s.plan.charAt(0).toUpperCase() + s.plan.slice(1)}
                </div>
              </div>
              <div>
                <div className="muted small">Status</div>
                <Badge tone={STATUS_TONE[s.status] ?? 'neutral'}>
                  {s.status.replace(/_/g, ' ')}
                </Badge>
              </div>
              <PlanDate s={s} />
              {s.pastDue && (
                <Alert kind="warning" title="Payment failed">
                  {s.graceEndsAt
                    ? 'Access continues until the date shown above. '
                    : 'Access continues for a grace period. '}
                  Update the payment method in “Manage subscription” to keep it.
                </Alert>
              )}
              {s.subscribedPlan && s.subscribedPlan !== s.plan && (
                <Alert kind="info">
                  Subscribed to {s.subscribedPlan}, but the {s.plan} plan's limits apply while the
                  subscription is {s.status.replace(/_/g, ' ')}.
                </Alert>
              )}
              {(s.status === 'unpaid' ||
                s.status === 'canceled' ||
                s.status === 'incomplete_expired') && (
                <Alert kind="warning" title="The workspace is on the free plan's limits">
                  Your data is kept. Choose a plan to lift the limits.
                </Alert>
              )}
              {s.cancelAtPeriodEnd && (
                <Alert kind="info">
                  The subscription is set to cancel at the end of the period.
                </Alert>
              )}
            </div>
          )}
        </Loadable>
      </Card>

      <Card title="Plans" className="mt">
        <Loadable resource={plans} label="plans">
          {(p) => (
            <div className="plans">
              {[...p.data]
                .sort((a, b) => PLAN_ORDER.indexOf(a.id) - PLAN_ORDER.indexOf(b.id))
                .map((plan) => (
                  <PlanCard
                    key={plan.id}
                    plan={plan}
                    current={plan.id === currentPlan}
                    switching={running}
                    busy={checkout.busy || portal.busy}
                    onChoose={() => void (running ? portal.run() : checkout.run(plan.id))}
                  />
                ))}
            </div>
          )}
        </Loadable>
      </Card>

      <Card title="Invoices" className="mt">
        <Loadable resource={invoices} label="invoices">
          {(page) => (
            <DataTable
              testId="invoices-table"
              rows={page.data}
              rowKey={(i) => i.id}
              empty={<EmptyState title="No invoices yet" />}
              columns={[
                { header: 'Invoice', cell: (i) => i.number ?? i.id },
                { header: 'Date', cell: (i) => formatDate(i.createdAt) },
                {
                  header: 'Status',
                  cell: (i) => (
                    <Badge
                      tone={i.status === 'paid' ? 'good' : i.status === 'open' ? 'warn' : 'neutral'}
                    >
                      {i.status ?? '—'}
                    </Badge>
                  ),
                },
                {
                  header: 'Amount',
                  kind: 'number',
                  cell: (i) =>
                    formatMoney(
                      i.status === 'paid' ? i.amountPaid : i.amountDue,
                      i.currency.toUpperCase(),
                    ),
                },
                {
                  header: 'Link',
                  kind: 'actions',
                  cell: (i) =>
                    i.hostedInvoiceUrl && (
                      <a href={i.hostedInvoiceUrl} target="_blank" rel="noreferrer noopener">
                        View
                      </a>
                    ),
                },
              ]}
            />
          )}
        </Loadable>
      </Card>
    </>
  );
}
