import { useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { Subdomain } from '../../shared/schemas/accounts.ts';
import { CreateTenantBody } from '../../shared/schemas/tenants.ts';
import { checkSubdomain, createTenant } from '../api/endpoints.ts';
import { Button, Field, FormError, PageHeader } from '../components/ui.tsx';
import { suggestSubdomain } from '../lib/subdomain.ts';
import { precheck, useSubmit } from '../lib/use-submit.ts';
import { rememberWorkspace, useMe, useSession } from '../session/session.tsx';

type Availability =
  | { state: 'idle' }
  | { state: 'checking' }
  | { state: 'available' }
  | { state: 'unavailable'; reason: string }
  | { state: 'error' };

/** Checks the subdomain while the user types: the shared schema first, then the server (debounced). */
export function useSubdomainAvailability(subdomain: string): Availability {
  const [result, setResult] = useState<Availability>({ state: 'idle' });
  useEffect(() => {
    if (!subdomain) {
      setResult({ state: 'idle' });
      return;
    }
    const local = Subdomain.safeParse(subdomain);
    if (!local.success) {
      setResult({ state: 'unavailable', reason: local.error.issues[0]?.message ?? 'invalid' });
      return;
    }
    setResult({ state: 'checking' });
    const controller = new AbortController();
    const timer = setTimeout(() => {
      checkSubdomain(subdomain, controller.signal).then(
        (r) =>
          setResult(
            r.available
              ? { state: 'available' }
              : { state: 'unavailable', reason: r.reason ?? 'taken' },
          ),
        () => {
          if (!controller.signal.aborted) setResult({ state: 'error' });
        },
      );
    }, 250);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [subdomain]);
  return result;
}

export function NewWorkspacePage() {
  const me = useMe();
  const { refresh } = useSession();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [subdomain, setSubdomain] = useState('');
  const [edited, setEdited] = useState(false);
  const availability = useSubdomainAvailability(subdomain);
  const submit = useSubmit(async () => {
    const tenant = await createTenant({ name, subdomain });
    await refresh();
    rememberWorkspace(tenant.subdomain);
    await navigate(`/w/${tenant.subdomain}`);
  });

  const onName = (value: string) => {
    setName(value);
    if (!edited) setSubdomain(suggestSubdomain(value));
  };
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const check = precheck(CreateTenantBody, { name, subdomain });
    if (!check.ok) {
      submit.setFieldErrors(check.errors);
      return;
    }
    void submit.run();
  };
  const host = window.location.hostname;

  return (
    <main className="auth-page" id="main">
      <div className="auth-card auth-card-wide">
        <PageHeader title="Create a workspace">
          One workspace per agency: its sites, services, members and billing.
        </PageHeader>
        <form onSubmit={onSubmit} noValidate className="form">
          <FormError error={submit.error} fields={['name', 'subdomain']} />
          <Field label="Workspace name" name="name" errors={submit.fieldErrors}>
            {(p) => (
              <input
                {...p}
                value={name}
                onChange={(e) => onName(e.target.value)}
                autoFocus
                required
                maxLength={120}
              />
            )}
          </Field>
          <Field
            label="Subdomain"
            name="subdomain"
            errors={submit.fieldErrors}
            hint={
              <span aria-live="polite" data-testid="subdomain-status">
                {availability.state === 'checking' && 'Checking…'}
                {availability.state === 'available' && (
                  <span className="text-good">
                    ✓ {subdomain}.{host} is available
                  </span>
                )}
                {availability.state === 'unavailable' && (
                  <span className="text-bad">✗ Not available: {availability.reason}</span>
                )}
                {availability.state === 'error' && 'Could not check availability right now.'}
                {availability.state === 'idle' && '3–63 characters: a–z, 0–9 and hyphens.'}
              </span>
            }
          >
            {(p) => (
              <div className="input-affix">
                <input
                  {...p}
                  value={subdomain}
                  onChange={(e) => {
                    setEdited(true);
                    setSubdomain(e.target.value.toLowerCase());
                  }}
                  autoCapitalize="none"
                  spellCheck={false}
                  required
                />
                <span className="affix">.{host}</span>
              </div>
            )}
          </Field>
          <div className="form-actions">
            {me.memberships.length > 0 && <Link to="/">Cancel</Link>}
            <Button
              type="submit"
              variant="primary"
              busy={submit.busy}
              disabled={availability.state === 'unavailable'}
            >
              Create workspace
            </Button>
          </div>
        </form>
      </div>
    </main>
  );
}
