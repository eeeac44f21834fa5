import { useEffect } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { acceptInvitation, lookupInvitation } from '../api/endpoints.ts';
import { ApiError } from '../api/problem.ts';
import { Alert, Button, FormError, Loadable } from '../components/ui.tsx';
import { formatDate } from '../lib/dates.ts';
import { useResource } from '../lib/use-resource.ts';
import { useSubmit } from '../lib/use-submit.ts';
import { rememberWorkspace, useSession } from '../session/session.tsx';
import { SignupForm } from './auth-pages.tsx';

const ROLE_WORDS: Record<string, string> = {
  owner: 'an owner',
  admin: 'an admin',
  member: 'a member',
  client: 'a client',
};

/**
 * /invite?token=…: names the workspace, the role and who invited; signed out, a sign-up form
 * prefilled with the invited address (or sign in, coming back here); signed in, accept. Someone
 * else signed in is told the invitation is not theirs, never whose it is.
 */
export function InvitePage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const { state, refresh, signOut } = useSession();
  const navigate = useNavigate();
  const here = `/invite?token=${encodeURIComponent(token)}`;
  const signedInAs = state.status === 'signed_in' ? state.me.user.id : null;
  // Looked up again when the visitor signs in, up or out: what may be shown depends on who asks.
  const invitation = useResource(
    async () => (token && state.status !== 'loading' ? lookupInvitation(token) : undefined),
    [token, state.status, signedInAs],
  );
  const accept = useSubmit(async () => {
    const reply = await acceptInvitation(token);
    const me = await refresh();
    const joined = me?.memberships.find((m) => m.tenant.id === reply.tenantId);
    if (joined) rememberWorkspace(joined.tenant.subdomain);
    await navigate(joined ? `/w/${joined.tenant.subdomain}` : '/');
  });
  const workspaceName = invitation.data?.workspaceName;
  useEffect(() => {
    document.title = `${workspaceName ? `Join ${workspaceName}` : 'Join a workspace'} · ROI Spectrum`;
  }, [workspaceName]);

  let body;
  if (!token)
    body = (
      <Alert kind="error" title="This invitation link is incomplete">
        Ask for a new link.
      </Alert>
    );
  else if (state.status === 'loading' || invitation.loading) body = <p>Loading…</p>;
  else if (invitation.error instanceof ApiError && invitation.error.status === 404)
    body = (
      <Alert kind="error" title="This invitation is no longer valid">
        It was used, withdrawn or has expired. Ask whoever invited you for a new link.
      </Alert>
    );
  else
    body = (
      <Loadable resource={invitation} label="the invitation">
        {(inv) => {
          if (!inv) return null;
          const intro = (
            <p data-testid="invitation-summary">
              {inv.invitedBy ? <strong>{inv.invitedBy}</strong> : 'Someone'} invited you to join{' '}
              <strong>{inv.workspaceName}</strong> as {ROLE_WORDS[inv.role] ?? inv.role}
              {inv.role === 'client'
                ? `, to see the reports of ${inv.siteCount} ${inv.siteCount === 1 ? 'site' : 'sites'}`
                : ''}
              . The invitation is valid until {formatDate(inv.expiresAt)}.
            </p>
          );
          if (state.status !== 'signed_in')
            return (
              <>
                {intro}
                <h2>Create your account</h2>
                <SignupForm
                  key={inv.email ?? ''}
                  initialEmail={inv.email ?? ''}
                  onSignedUp={() => undefined}
                />
                <p className="auth-switch">
                  Already have an account?{' '}
                  <Link to={`/login?next=${encodeURIComponent(here)}`}>Sign in</Link>
                </p>
              </>
            );
          if (inv.forSignedInUser === false)
            return (
              <>
                {intro}
                <Alert kind="warning" title="This invitation is for another email address">
                  You are signed in as <strong>{state.me.user.email}</strong>. Sign in with the
                  address the invitation was sent to.
                </Alert>
                <Button variant="primary" onClick={() => void signOut()}>
                  Sign out and use another account
                </Button>
              </>
            );
          return (
            <>
              {intro}
              <p>
                Signed in as <strong>{state.me.user.email}</strong>.
              </p>
              <FormError error={accept.error} />
              <Button variant="primary" busy={accept.busy} onClick={() => void accept.run()}>
                Accept invitation
              </Button>
              <p className="muted small">
                Not you?{' '}
                <button type="button" className="link-btn" onClick={() => void signOut()}>
                  Sign out and use another account
                </button>
              </p>
            </>
          );
        }}
      </Loadable>
    );

  return (
    <main className="auth-page" id="main">
      <div className="auth-card">
        <div className="brand brand-large" aria-hidden="true">
          <span className="brand-mark">◆</span> ROI Spectrum
        </div>
        <h1>{workspaceName ? `Join ${workspaceName}` : 'Join a workspace'}</h1>
        {body}
      </div>
    </main>
  );
}
