import { Link, useLocation } from 'react-router';
import { getSubscription } from '../../api/endpoints.ts';
import { formatDate } from '../../lib/dates.ts';
import { useResource } from '../../lib/use-resource.ts';
import { useWorkspace, useWorkspacePath } from '../../session/workspace.tsx';

/** A warning on every page while a payment has failed (access continues during the grace period). */
const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function PastDueBanner() {
  const { tenant } = useWorkspace();
  const path = useWorkspacePath();
  const { pathname } = useLocation();
  // Read again on each page change, so a payment that fails while the app is open shows up.
  // A failure to read the subscription is not worth a banner of its own: the billing page shows it.
  const sub = useResource(
    (signal) => getSubscription(signal).catch(() => null),
    [tenant.id, pathname],
  );
  const status = sub.data?.status;
  if (!sub.data?.pastDue && status !== 'past_due' && status !== 'unpaid') return null;
  return (
    <div className="banner banner-warning" role="alert" data-testid="past-due-banner">
      <strong>
        {status === 'unpaid' ? 'Your subscription is unpaid.' : 'Your last payment failed.'}
      </strong>{' '}
      {status !== 'unpaid'
        ? `Update your payment method to keep your ${capitalize(sub.data?.plan ?? '')} plan${sub.data?.graceEndsAt ? ` after ${formatDate(sub.data.graceEndsAt)}` : ''}.`
        : 'The workspace is limited to the free plan until it is paid.'}{' '}
      <Link to={path('billing')}>Go to billing</Link>
    </div>
  );
}
