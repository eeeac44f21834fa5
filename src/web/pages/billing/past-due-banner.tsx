import { Link, useLocation } from 'react-router';
import { getTenantSettings } from '../../api/endpoints.ts';
import { formatDate } from '../../lib/dates.ts';
import { useResource } from '../../lib/use-resource.ts';
import { isManager, useWorkspace, useWorkspacePath } from '../../session/workspace.tsx';

/** A warning on every page while a payment has failed (access continues during the grace period). */
const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function PastDueBanner() {
  const { tenant, role } = useWorkspace();
  const path = useWorkspacePath();
  const { pathname } = useLocation();
  // The workspace settings carry the billing status for every role (the subscription itself is
  // for owners and admins), read again on each page change so a failed payment shows up.
  // A failure to read them is not worth a banner of its own.
  const settings = useResource(() => getTenantSettings().catch(() => null), [tenant.id, pathname]);
  const status = settings.data?.billingStatus;
  if (!settings.data?.pastDue && status !== 'unpaid') return null;
  return (
    <div className="banner banner-warning" role="alert" data-testid="past-due-banner">
      <strong>
        {status === 'unpaid' ? 'Your subscription is unpaid.' : 'Your last payment failed.'}
      </strong>{' '}
      {status !== 'unpaid'
        ? `Update your payment method to keep your ${capitalize(settings.data?.plan ?? '')} plan${settings.data?.billingGraceEndsAt ? ` after ${formatDate(settings.data.billingGraceEndsAt)}` : ''}.`
        : 'The workspace is limited to the free plan until it is paid.'}{' '}
      {isManager(role) ? (
        <Link to={path('billing')}>Go to billing</Link>
      ) : (
        'Ask an owner or admin to update it.'
      )}
    </div>
  );
}
