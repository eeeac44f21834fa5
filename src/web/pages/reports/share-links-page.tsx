import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { listSites } from '../../api/endpoints.ts';
import { describeError } from '../../api/problem.ts';
import {
  createReportLink,
  listReportLinks,
  revokeReportLink,
  type ReportLinkT,
} from '../../api/reporting-share.ts';
import {
  Alert,
  Badge,
  Button,
  Card,
  ConfirmButton,
  CopyButton,
  EmptyState,
  Field,
  FormError,
  Loadable,
  PageHeader,
} from '../../components/ui.tsx';
import { formatDate, formatDateTime } from '../../lib/dates.ts';
import { useResource } from '../../lib/use-resource.ts';
import { useSubmit } from '../../lib/use-submit.ts';
import { isStaff, useWorkspace } from '../../session/workspace.tsx';

const PRESETS = [
  ['last_30_days', 'Last 30 days'],
  ['last_90_days', 'Last 90 days'],
  ['last_12_months', 'Last 12 months'],
  ['month_to_date', 'Month to date'],
  ['previous_month', 'Previous month'],
  ['year_to_date', 'Year to date'],
] as const;

const describePeriod = (period: ReportLinkT['period']) =>
  'preset' in period
    ? (PRESETS.find(([p]) => p === period.preset)?.[1] ?? period.preset)
    : `${period.from} to ${period.to}`;

function CreateLinkForm({
  sites,
  initialSiteId,
  onCreated,
}: {
  sites: { id: string; name: string }[];
  initialSiteId: string | null;
  onCreated: (link: ReportLinkT) => void;
}) {
  const [name, setName] = useState('');
  const [siteIds, setSiteIds] = useState<string[]>(initialSiteId ? [initialSiteId] : []);
  const [preset, setPreset] = useState<string>('last_90_days');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [password, setPassword] = useState('');
  const [expires, setExpires] = useState('');
  const submit = useSubmit(async () => {
    const link = await createReportLink({
      name: name.trim(),
      siteIds,
      period:
        preset === 'custom' ? { from, to } : { preset: preset as (typeof PRESETS)[number][0] },
      password: password || null,
      expiresAt: expires ? new Date(`${expires}T23:59:59`).toISOString() : null,
    });
    onCreated(link);
    setName('');
    setPassword('');
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };
  return (
    <form className="form" onSubmit={onSubmit} noValidate aria-label="Share a report">
      <FormError
        error={submit.error}
        fields={['name', 'siteIds', 'period', 'password', 'expiresAt']}
      />
      <div className="grid-2">
        <Field label="Name" name="name" errors={submit.fieldErrors} hint="Only your team sees it.">
          {(p) => (
            <input {...p} value={name} onChange={(e) => setName(e.target.value)} maxLength={200} />
          )}
        </Field>
        <Field label="Period" name="period" errors={submit.fieldErrors}>
          {(p) => (
            <select {...p} value={preset} onChange={(e) => setPreset(e.target.value)}>
              {PRESETS.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
              <option value="custom">Fixed dates…</option>
            </select>
          )}
        </Field>
        {preset === 'custom' && (
          <>
            <Field label="From" name="period.from" errors={submit.fieldErrors}>
              {(p) => (
                <input {...p} type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
              )}
            </Field>
            <Field label="To" name="period.to" errors={submit.fieldErrors}>
              {(p) => (
                <input {...p} type="date" value={to} onChange={(e) => setTo(e.target.value)} />
              )}
            </Field>
          </>
        )}
        <Field
          label="Password (optional)"
          name="password"
          errors={submit.fieldErrors}
          hint="At least 6 characters; readers must enter it."
        >
          {(p) => (
            <input
              {...p}
              type="password"
              autoComplete="new-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </Field>
        <Field label="Expires (optional)" name="expiresAt" errors={submit.fieldErrors}>
          {(p) => (
            <input
              {...p}
              type="date"
              value={expires}
              onChange={(e) => setExpires(e.target.value)}
            />
          )}
        </Field>
      </div>
      <fieldset className="fieldset-plain">
        <legend>Sites</legend>
        {sites.map((s) => (
          <label key={s.id} className="checkbox">
            <input
              type="checkbox"
              checked={siteIds.includes(s.id)}
              onChange={(e) =>
                setSiteIds((ids) =>
                  e.target.checked ? [...ids, s.id] : ids.filter((id) => id !== s.id),
                )
              }
            />{' '}
            {s.name}
          </label>
        ))}
      </fieldset>
      <div className="form-actions">
        <Button type="submit" variant="primary" busy={submit.busy}>
          Create link
        </Button>
      </div>
    </form>
  );
}

/** Shared report links: create (staff), list with views, copy, revoke; a client reads its own. */
export function ShareLinksPage() {
  const { role } = useWorkspace();
  const staff = isStaff(role);
  const [params] = useSearchParams();
  const siteParam = params.get('siteId');
  const links = useResource(() => listReportLinks(), []);
  const sites = useResource(() => listSites({ limit: 200 }), []);
  const [created, setCreated] = useState<ReportLinkT | null>(null);
  const [error, setError] = useState<string | null>(null);
  const siteName = (id: string) => sites.data?.data.find((s) => s.id === id)?.name ?? 'a site';

  return (
    <>
      <PageHeader title="Shared reports">
        Branded, read-only reports your clients open without an account.
      </PageHeader>
      {staff && (
        <Card title="Share a report">
          {created && (
            <Alert kind="success" title="Link created">
              <div className="secret-row">
                <input readOnly value={created.url} aria-label="Link URL" className="mono" />
                <CopyButton text={created.url} />
              </div>
            </Alert>
          )}
          <Loadable resource={sites} label="sites">
            {(page) =>
              page.data.length === 0 ? (
                <p className="muted">Add a site first.</p>
              ) : (
                <CreateLinkForm
                  sites={page.data}
                  initialSiteId={siteParam}
                  onCreated={(link) => {
                    setCreated(link);
                    links.reload();
                  }}
                />
              )
            }
          </Loadable>
        </Card>
      )}
      {error && <Alert kind="error">{error}</Alert>}
      <Card title="Links" className="mt">
        <Loadable resource={links} label="links">
          {(page) =>
            page.data.length === 0 ? (
              <EmptyState title="No shared reports yet" />
            ) : (
              <div className="table-wrap">
                {/* Stacked on a phone, each cell named by its column. */}
                <table className="table table-responsive" data-testid="report-links">
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Sites</th>
                      <th scope="col">Period</th>
                      <th scope="col" className="num">
                        Views
                      </th>
                      <th scope="col">Last viewed</th>
                      <th scope="col">Link</th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.data.map((link) => (
                      <tr key={link.id}>
                        <th scope="row">
                          {link.name} {link.hasPassword && <Badge>password</Badge>}
                          {link.expiresAt && (
                            <div className="muted">expires {formatDate(link.expiresAt)}</div>
                          )}
                        </th>
                        <td data-label="Sites">{link.siteIds.map(siteName).join(', ')}</td>
                        <td data-label="Period">{describePeriod(link.period)}</td>
                        <td className="num" data-label="Views">
                          {link.views}
                        </td>
                        <td data-label="Last viewed">
                          {link.lastViewedAt ? formatDateTime(link.lastViewedAt) : 'never'}
                        </td>
                        <td>
                          <div className="row-actions">
                            <a href={link.url} target="_blank" rel="noreferrer">
                              Open
                            </a>
                            <CopyButton text={link.url} label="Copy link" />
                            {staff && (
                              <ConfirmButton
                                variant="danger"
                                question={`Revoke “${link.name}”? Its URL stops working at once.`}
                                onConfirm={() => {
                                  revokeReportLink(link.id).then(links.reload, (err: unknown) =>
                                    setError(describeError(err)),
                                  );
                                }}
                              >
                                Revoke
                              </ConfirmButton>
                            )}
                          </div>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </Loadable>
      </Card>
    </>
  );
}
