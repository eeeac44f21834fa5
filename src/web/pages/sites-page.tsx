import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { CreateSiteBody } from '../../shared/schemas/roi.ts';
import {
  createSite,
  deleteSite,
  listPlans,
  listSites,
  updateSite,
  type SiteT,
} from '../api/endpoints.ts';
import { DataTable } from '../components/data-table.tsx';
import {
  Button,
  Card,
  ConfirmButton,
  Dialog,
  EmptyState,
  Field,
  FormActions,
  FormError,
  Loadable,
  PageHeader,
} from '../components/ui.tsx';
import { formatDate } from '../lib/dates.ts';
import { useResource } from '../lib/use-resource.ts';
import { precheck, useSubmit } from '../lib/use-submit.ts';
import { isManager, isStaff, useWorkspace, useWorkspacePath } from '../session/workspace.tsx';

/** Add or edit a site; the server's errors appear beside name, domain and client. */
function SiteForm({
  site,
  onSaved,
  onCancel,
}: {
  site?: SiteT;
  onSaved: (site: SiteT) => void;
  onCancel: () => void;
}) {
  const [form, setForm] = useState({
    name: site?.name ?? '',
    domain: site?.domain ?? '',
    clientName: site?.clientName ?? '',
  });
  const body = () => ({
    name: form.name,
    domain: form.domain,
    clientName: form.clientName.trim() || null,
  });
  const submit = useSubmit(async () => {
    const saved = site ? await updateSite(site.id, body()) : await createSite(body());
    onSaved(saved);
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const check = precheck(CreateSiteBody, body());
    if (!check.ok) {
      submit.setFieldErrors(check.errors);
      return;
    }
    void submit.run();
  };
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm((f) => ({ ...f, [k]: e.target.value }));
  return (
    <form onSubmit={onSubmit} noValidate className="form">
      <FormError error={submit.error} fields={['name', 'domain', 'clientName']} />
      <Field label="Site name" name="name" errors={submit.fieldErrors}>
        {(p) => (
          <input
            {...p}
            value={form.name}
            onChange={set('name')}
            required
            maxLength={200}
            autoFocus
          />
        )}
      </Field>
      <Field
        label="Domain"
        name="domain"
        errors={submit.fieldErrors}
        hint="e.g. example.com (a pasted URL is fine)."
      >
        {(p) => (
          <input
            {...p}
            value={form.domain}
            onChange={set('domain')}
            required
            autoCapitalize="none"
            spellCheck={false}
          />
        )}
      </Field>
      <Field label="Client name (optional)" name="clientName" errors={submit.fieldErrors}>
        {(p) => (
          <input {...p} value={form.clientName} onChange={set('clientName')} maxLength={200} />
        )}
      </Field>
      <FormActions
        submitLabel={site ? 'Save site' : 'Add site'}
        busy={submit.busy}
        onCancel={onCancel}
      />
    </form>
  );
}

/** Add a site, or edit one, in a modal dialog: from the list and from the site's own page. */
export function SiteDialog({
  open,
  site,
  onClose,
  onSaved,
}: {
  open: boolean;
  site?: SiteT;
  onClose: () => void;
  onSaved: (site: SiteT) => void;
}) {
  return (
    <Dialog open={open} title={site ? `Edit ${site.name}` : 'Add a site'} onClose={onClose}>
      <SiteForm site={site} onCancel={onClose} onSaved={onSaved} />
    </Dialog>
  );
}

/** Cursor pages accumulated for "Load more". */
export function usePagedSites() {
  const [extra, setExtra] = useState<SiteT[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const first = useResource(async () => {
    const page = await listSites({ limit: 50 });
    setExtra([]);
    setCursor(page.nextCursor);
    return page;
  }, []);
  const more = async () => {
    if (!cursor) return;
    setLoadingMore(true);
    try {
      const page = await listSites({ limit: 50, cursor });
      setExtra((e) => [...e, ...page.data]);
      setCursor(page.nextCursor);
    } finally {
      setLoadingMore(false);
    }
  };
  return { first, sites: [...(first.data?.data ?? []), ...extra], cursor, loadingMore, more };
}

export function SitesPage() {
  const { role, settings } = useWorkspace();
  const path = useWorkspacePath();
  const navigate = useNavigate();
  const { first, sites, cursor, loadingMore, more } = usePagedSites();
  const [dialog, setDialog] = useState<{ mode: 'add' } | { mode: 'edit'; site: SiteT } | null>(
    null,
  );
  const remove = useSubmit(async (site: SiteT) => {
    await deleteSite(site.id);
    first.reload();
  });
  const staff = isStaff(role);
  // The plan's site limit, shown before the 402 would be.
  const plans = useResource(
    () => (staff ? listPlans().catch(() => null) : Promise.resolve(null)),
    [staff],
  );
  const plan = plans.data?.data.find((p) => p.id === settings?.plan);
  const limit = plan?.limits.sites;
  const planName = plan?.name ?? '';

  return (
    <>
      <PageHeader
        title="Sites"
        actions={
          staff && (
            <Button variant="primary" onClick={() => setDialog({ mode: 'add' })}>
              Add site
            </Button>
          )
        }
      >
        Each client website whose SEO results you track.
        {staff && limit !== null && limit !== undefined && first.data && !first.data.nextCursor && (
          <>
            {' '}
            {sites.length} of {limit} sites on the {planName} plan
            {sites.length >= limit && isManager(role) && (
              <>
                {' '}
                · <Link to={path('billing')}>upgrade for more</Link>
              </>
            )}
            .
          </>
        )}
      </PageHeader>
      <FormError error={remove.error} />
      <Card>
        <Loadable resource={first} label="sites">
          {() => (
            <DataTable
              testId="sites-table"
              rows={sites}
              rowKey={(s) => s.id}
              more={{ nextCursor: cursor, loading: loadingMore, onMore: () => void more() }}
              empty={
                <EmptyState title="No sites yet">
                  {staff ? (
                    <p>Add a site, then import its metrics and record the services you deliver.</p>
                  ) : (
                    <p>No site has been shared with you yet.</p>
                  )}
                </EmptyState>
              }
              columns={[
                { header: 'Site', cell: (s) => <Link to={path(`sites/${s.id}`)}>{s.name}</Link> },
                { header: 'Domain', cell: (s) => s.domain },
                { header: 'Client', cell: (s) => s.clientName ?? <span className="muted">—</span> },
                { header: 'Added', cell: (s) => formatDate(s.createdAt) },
                staff && {
                  header: 'Actions',
                  kind: 'actions',
                  cell: (s) => (
                    <>
                      <Button
                        className="btn-small"
                        onClick={() => setDialog({ mode: 'edit', site: s })}
                        aria-label={`Edit ${s.name}`}
                      >
                        Edit
                      </Button>
                      <ConfirmButton
                        className="btn-small"
                        variant="danger"
                        aria-label={`Delete ${s.name}`}
                        question={`Delete ${s.name}? Its metrics and services are deleted too.`}
                        onConfirm={() => void remove.run(s)}
                      >
                        Delete
                      </ConfirmButton>
                    </>
                  ),
                },
              ]}
            />
          )}
        </Loadable>
      </Card>
      <SiteDialog
        open={dialog !== null}
        site={dialog?.mode === 'edit' ? dialog.site : undefined}
        onClose={() => setDialog(null)}
        onSaved={(site) => {
          setDialog(null);
          if (dialog?.mode === 'add') void navigate(path(`sites/${site.id}`));
          else first.reload();
        }}
      />
    </>
  );
}
