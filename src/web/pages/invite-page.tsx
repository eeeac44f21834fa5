import { useNavigate, useSearchParams, Link } from 'react-router';
import { acceptInvitation } from '../api/endpoints.ts';
import { Alert, Button, FormError } from '../components/ui.tsx';
import { useSubmit } from '../lib/use-submit.ts';
import { rememberWorkspace, useSession } from '../session/session.tsx';

/** /invite?token=…: sign in or up first (coming back here), then accept. */
export function InvitePage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const { state, refresh, signOut } = useSession();
  const navigate = useNavigate();
  const here = `/invite?token=${encodeURIComponent(token)}`;
  const accept = useSubmit(async () => {
    const reply = await acceptInvitation(token);
    const me = await refresh();
    const joined = me?.memberships.find((m) => m.tenant.id === reply.tenantId);
    if (joined) rememberWorkspace(joined.tenant.subdomain);
    await navigate(joined ? `/w/${joined.tenant.subdomain}` : '/');
  });

  let body;
  if (!token)
    body = (
      <Alert kind="error" title="This invitation link is incomplete">
        Ask for a new link.
      </Alert>
    );
  else if (state.status === 'loading') body = <p>Loading…</p>;
  else if (state.status !== 'signed_in')
    body = (
      <>
        <p>
          You have been invited to a workspace on ROI Spectrum. Sign in, or create an account with
          the invited email address, to accept.
        </p>
        <div className="form-actions form-actions-start">
          <Link className="btn btn-primary" to={`/signup?next=${encodeURIComponent(here)}`}>
            Create an account
          </Link>
          <Link className="btn btn-secondary" to={`/login?next=${encodeURIComponent(here)}`}>
            Sign in
          </Link>
        </div>
      </>
    );
  else
    body = (
      <>
        <p>
          Signed in as <strong>{state.me.user.email}</strong>. The invitation must be for this
          address.
        </p>
        <FormError error={accept.error} />
        <p className="muted small">
          Not you?{' '}
          <button type="button" className="link-btn" onClick={() => void signOut()}>
            Sign out and use another account
          </button>
        </p>
        <Button variant="primary" busy={accept.busy} onClick={() => void accept.run()}>
          Accept invitation
        </Button>
      </>
    );

  return (
    <main className="auth-page" id="main">
      <div className="auth-card">
        <div className="brand brand-large" aria-hidden="true">
          <span className="brand-mark">◆</span> ROI Spectrum
        </div>
        <h1>Join a workspace</h1>
        {body}
      </div>
    </main>
  );
}
