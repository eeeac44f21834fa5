import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { CreateServiceBody, CreateTimeEntryBody } from '../../shared/schemas/roi.ts';
import {
  createService,
  createTimeEntry,
  deleteService,
  deleteTimeEntry,
  listServices,
  listSites,
  listTimeEntries,
  updateService,
  type ServiceT,
  type SiteT,
} from '../api/endpoints.ts';
import type { FieldError } from '../api/problem.ts';
import { DataTable } from '../components/data-table.tsx';
import {
  Badge,
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
import { formatDate, today } from '../lib/dates.ts';
import { formatMoney, formatNumber, minorToInput, parseMoney } from '../lib/money.ts';
import { useResource } from '../lib/use-resource.ts';
import { precheck, useSubmit } from '../lib/use-submit.ts';
import { isStaff, useCurrency, useWorkspace } from '../session/workspace.tsx';

const BILLING_LABELS: Record<ServiceT['billing'], string> = {
  monthly: 'Monthly retainer',
  one_time: 'One-off job',
  hourly: 'Hourly',
};
const CATEGORIES = [
  'Technical SEO',
  'Content',
  'Link building',
  'Local SEO',
  'Audit',
  'Reporting',
  'Consulting',
];

function amountSuffix(billing: ServiceT['billing']) {
  return billing === 'monthly' ? ' / month' : billing === 'hourly' ? ' / hour' : '';
}

/** Add or edit a service. The amount is typed in major units and sent in minor units, exactly. */
function ServiceForm({
  service,
  sites,
  defaultSiteId,
  onSaved,
  onCancel,
}: {
  service?: ServiceT;
  sites: SiteT[];
  defaultSiteId?: string;
  onSaved: () => void;
  onCancel: () => void;
}) {
  const currency = useCurrency();
  const [form, setForm] = useState({
    siteId: service?.siteId ?? defaultSiteId ?? sites[0]?.id ?? '',
    name: service?.name ?? '',
    category: service?.category ?? '',
    billing: service?.billing ?? ('monthly' as ServiceT['billing']),
    // Staff always read the amount; only a client's copy of an hourly service leaves it out.
    amount:
      service?.amount !== undefined
        ? minorToInput(service.amount, service.currency ?? currency)
        : '',
    startDate: service?.startDate ?? today(),
    endDate: service?.endDate ?? '',
  });
  const submit = useSubmit(async (body: Record<string, unknown>) => {
    if (service) {
      const { siteId: _siteId, ...patch } = body;
      await updateService(service.id, patch);
    } else {
      await createService(body as Parameters<typeof createService>[0]);
    }
    onSaved();
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const amount = parseMoney(form.amount, currency);
    const body = {
      siteId: form.siteId,
      name: form.name,
      category: form.category,
      billing: form.billing,
      amount: amount ?? -1,
      startDate: form.startDate,
      endDate: form.endDate || null,
    };
    const check = precheck(CreateServiceBody, body);
    const errors: FieldError[] = check.ok ? [] : check.errors.filter((er) => er.path !== 'amount');
    if (amount === null)
      errors.push({ path: 'amount', message: `must be an amount such as 1500 or 1500.50` });
    else if (!check.ok) errors.push(...check.errors.filter((er) => er.path === 'amount'));
    if (errors.length) {
      submit.setFieldErrors(errors);
      return;
    }
    void submit.run(body);
  };
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm((f) => ({ ...f, [k]: e.target.value }));

  return (
    <form onSubmit={onSubmit} noValidate className="form">
      <FormError
        error={submit.error}
        fields={['siteId', 'name', 'category', 'billing', 'amount', 'startDate', 'endDate']}
      />
      <Field label="Site" name="siteId" errors={submit.fieldErrors}>
        {(p) => (
          <select {...p} value={form.siteId} onChange={set('siteId')} disabled={!!service}>
            {sites.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <div className="grid-2">
        <Field label="Service name" name="name" errors={submit.fieldErrors}>
          {(p) => (
            <input {...p} value={form.name} onChange={set('name')} required maxLength={200} />
          )}
        </Field>
        <Field label="Category" name="category" errors={submit.fieldErrors}>
          {(p) => (
            <>
              <input
                {...p}
                value={form.category}
                onChange={set('category')}
                list="service-categories"
                required
                maxLength={100}
              />
              <datalist id="service-categories">
                {CATEGORIES.map((c) => (
                  <option key={c} value={c} />
                ))}
              </datalist>
            </>
          )}
        </Field>
        <Field label="Billing" name="billing" errors={submit.fieldErrors}>
          {(p) => (
            <select {...p} value={form.billing} onChange={set('billing')}>
              {Object.entries(BILLING_LABELS).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field
          label={`Amount (${currency}${amountSuffix(form.billing)})`}
          name="amount"
          errors={submit.fieldErrors}
          hint={
            form.billing === 'hourly'
              ? 'The hourly rate; log hours as time entries.'
              : form.billing === 'monthly'
                ? 'Counted once for every month the service runs.'
                : 'Counted once, on the start date.'
          }
        >
          {(p) => (
            <input
              {...p}
              inputMode="decimal"
              value={form.amount}
              onChange={set('amount')}
              required
              placeholder="1500.00"
            />
          )}
        </Field>
        <Field
          label={form.billing === 'one_time' ? 'Date' : 'Start date'}
          name="startDate"
          errors={submit.fieldErrors}
        >
          {(p) => (
            <input {...p} type="date" value={form.startDate} onChange={set('startDate')} required />
          )}
        </Field>
        {form.billing !== 'one_time' && (
          <Field
            label="End date (optional)"
            name="endDate"
            errors={submit.fieldErrors}
            hint="Leave empty while it runs."
          >
            {(p) => (
              <input
                {...p}
                type="date"
                value={form.endDate}
                min={form.startDate}
                onChange={set('endDate')}
              />
            )}
          </Field>
        )}
      </div>
      <FormActions
        submitLabel={service ? 'Save service' : 'Add service'}
        busy={submit.busy}
        onCancel={onCancel}
      />
    </form>
  );
}

/** Hours logged against an hourly service, and a form to log more. */
function TimeEntries({ service, canEdit }: { service: ServiceT; canEdit: boolean }) {
  const entries = useResource(() => listTimeEntries(service.id), [service.id]);
  const [form, setForm] = useState({ date: today(), hours: '', note: '' });
  const add = useSubmit(async (body: { date: string; hours: number; note: string | null }) => {
    await createTimeEntry(service.id, body);
    setForm((f) => ({ ...f, hours: '', note: '' }));
    entries.reload();
  });
  const remove = useSubmit(async (entryId: string) => {
    await deleteTimeEntry(service.id, entryId);
    entries.reload();
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const body = {
      date: form.date,
      hours: Number(form.hours.replace(',', '.')),
      note: form.note.trim() || null,
    };
    const check = precheck(CreateTimeEntryBody, body);
    if (!check.ok || form.hours.trim() === '') {
      add.setFieldErrors(check.ok ? [{ path: 'hours', message: 'is required' }] : check.errors);
      return;
    }
    void add.run(body);
  };
  const total = entries.data?.data.reduce((sum, t) => sum + t.hours, 0) ?? 0;
  const cost = entries.data?.data.reduce((sum, t) => sum + t.cost, 0) ?? 0;
  return (
    <div className="time-entries">
      {canEdit && (
        <form onSubmit={onSubmit} noValidate className="form form-row">
          <Field label="Date" name="date" errors={add.fieldErrors}>
            {(p) => (
              <input
                {...p}
                type="date"
                value={form.date}
                onChange={(e) => setForm((f) => ({ ...f, date: e.target.value }))}
                required
              />
            )}
          </Field>
          <Field label="Hours" name="hours" errors={add.fieldErrors}>
            {(p) => (
              <input
                {...p}
                inputMode="decimal"
                value={form.hours}
                onChange={(e) => setForm((f) => ({ ...f, hours: e.target.value }))}
                placeholder="1.5"
                required
              />
            )}
          </Field>
          <Field label="Note (optional)" name="note" errors={add.fieldErrors}>
            {(p) => (
              <input
                {...p}
                value={form.note}
                onChange={(e) => setForm((f) => ({ ...f, note: e.target.value }))}
                maxLength={1000}
              />
            )}
          </Field>
          <Button type="submit" variant="primary" busy={add.busy}>
            Log hours
          </Button>
        </form>
      )}
      <FormError error={add.error} fields={['date', 'hours', 'note']} />
      <FormError error={remove.error} />
      <Loadable resource={entries} label="time entries">
        {(page) => (
          <DataTable
            variant="compact"
            rows={page.data}
            rowKey={(t) => t.id}
            empty={<EmptyState title="No hours logged yet" />}
            columns={[
              { header: 'Date', cell: (t) => formatDate(t.date) },
              { header: 'Hours', kind: 'number', cell: (t) => formatNumber(t.hours, 2) },
              { header: 'Cost', kind: 'number', cell: (t) => formatMoney(t.cost, t.currency) },
              { header: 'Note', cell: (t) => t.note ?? '' },
              canEdit && {
                header: 'Actions',
                kind: 'actions',
                cell: (t) => (
                  <ConfirmButton
                    className="btn-small"
                    variant="danger"
                    busy={remove.busy}
                    question={`Delete the ${formatNumber(t.hours, 2)} hours logged on ${formatDate(t.date)}? Their cost leaves every report.`}
                    onConfirm={() => void remove.run(t.id)}
                    aria-label={`Delete the entry of ${formatDate(t.date)}`}
                  >
                    Delete
                  </ConfirmButton>
                ),
              },
            ]}
            footer={
              <tr>
                <th scope="row">Total</th>
                <td className="num">{formatNumber(total, 2)}</td>
                <td className="num">{formatMoney(cost, service.currency)}</td>
                <td colSpan={canEdit ? 2 : 1} />
              </tr>
            }
          />
        )}
      </Loadable>
    </div>
  );
}

export function ServicesPage() {
  const { role } = useWorkspace();
  const staff = isStaff(role);
  const [params, setParams] = useSearchParams();
  const siteFilter = params.get('site') ?? '';
  const sites = useResource(() => listSites(), []);
  const services = useResource(
    () => listServices(siteFilter ? { siteId: siteFilter } : {}),
    [siteFilter],
  );
  const [dialog, setDialog] = useState<
    | { mode: 'add' }
    | { mode: 'edit'; service: ServiceT }
    | { mode: 'time'; service: ServiceT }
    | null
  >(null);
  const end = useSubmit(async (s: ServiceT) => {
    await updateService(s.id, { endDate: today() < s.startDate ? s.startDate : today() });
    services.reload();
  });
  const remove = useSubmit(async (s: ServiceT) => {
    await deleteService(s.id);
    services.reload();
  });
  const siteList = sites.data?.data ?? [];
  const siteName = (id: string) => siteList.find((s) => s.id === id)?.name ?? '…';
  const now = today();

  return (
    <>
      <PageHeader
        title="Services"
        actions={
          staff && (
            <Button
              variant="primary"
              onClick={() => setDialog({ mode: 'add' })}
              disabled={siteList.length === 0}
            >
              Add service
            </Button>
          )
        }
      >
        Retainers, one-off jobs and hourly work delivered per site: the cost side of ROI.
      </PageHeader>
      <div className="filters">
        <div className="field field-inline">
          <label htmlFor="service-site">Site</label>
          <select
            id="service-site"
            value={siteFilter}
            onChange={(e) =>
              setParams(e.target.value ? { site: e.target.value } : {}, { replace: true })
            }
          >
            <option value="">All sites</option>
            {siteList.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </div>
      </div>
      <FormError error={end.error ?? remove.error} />
      <Card>
        <Loadable resource={services} label="services">
          {(page) => (
            <DataTable
              testId="services-table"
              rows={page.data}
              rowKey={(s) => s.id}
              empty={
                <EmptyState title="No services yet">
                  {staff && siteList.length === 0 ? (
                    <p>Add a site first.</p>
                  ) : staff ? (
                    <p>Record what you deliver to see the cost side of ROI.</p>
                  ) : null}
                </EmptyState>
              }
              columns={[
                {
                  header: 'Service',
                  cell: (s) => (
                    <>
                      <strong>{s.name}</strong>
                      <div className="muted small">{s.category}</div>
                    </>
                  ),
                },
                { header: 'Site', cell: (s) => siteName(s.siteId) },
                { header: 'Billing', cell: (s) => BILLING_LABELS[s.billing] },
                {
                  header: 'Amount',
                  kind: 'number',
                  cell: (s) => (
                    <>
                      {formatMoney(s.amount, s.currency)}
                      {amountSuffix(s.billing)}
                    </>
                  ),
                },
                {
                  header: 'Dates',
                  cell: (s) => (
                    <>
                      {formatDate(s.startDate)}
                      {s.billing !== 'one_time' && (
                        <> → {s.endDate ? formatDate(s.endDate) : 'ongoing'}</>
                      )}
                    </>
                  ),
                },
                {
                  header: 'Status',
                  cell: (s) =>
                    s.billing === 'one_time' ? (
                      <Badge>one-off</Badge>
                    ) : s.endDate !== null && s.endDate < now ? (
                      <Badge>ended</Badge>
                    ) : (
                      <Badge tone="good">active</Badge>
                    ),
                },
                {
                  header: 'Actions',
                  kind: 'actions',
                  cell: (s) => (
                    <>
                      {s.billing === 'hourly' && (
                        <Button
                          className="btn-small"
                          onClick={() => setDialog({ mode: 'time', service: s })}
                        >
                          Time entries
                        </Button>
                      )}
                      {staff && (
                        <>
                          <Button
                            className="btn-small"
                            onClick={() => setDialog({ mode: 'edit', service: s })}
                            aria-label={`Edit ${s.name}`}
                          >
                            Edit
                          </Button>
                          {s.billing !== 'one_time' && !s.endDate && (
                            <ConfirmButton
                              className="btn-small"
                              question={`End ${s.name} today?`}
                              onConfirm={() => void end.run(s)}
                            >
                              End
                            </ConfirmButton>
                          )}
                          <ConfirmButton
                            className="btn-small"
                            variant="danger"
                            aria-label={`Delete ${s.name}`}
                            question={`Delete ${s.name}? Its cost leaves every report.`}
                            onConfirm={() => void remove.run(s)}
                          >
                            Delete
                          </ConfirmButton>
                        </>
                      )}
                    </>
                  ),
                },
              ]}
            />
          )}
        </Loadable>
      </Card>
      <Dialog
        open={dialog !== null}
        title={
          dialog?.mode === 'add'
            ? 'Add a service'
            : dialog?.mode === 'edit'
              ? `Edit ${dialog.service.name}`
              : dialog
                ? `Time entries: ${dialog.service.name}`
                : ''
        }
        onClose={() => setDialog(null)}
      >
        {dialog?.mode === 'time' && <TimeEntries service={dialog.service} canEdit={staff} />}
        {(dialog?.mode === 'add' || dialog?.mode === 'edit') && (
          <ServiceForm
            service={dialog.mode === 'edit' ? dialog.service : undefined}
            sites={siteList}
            defaultSiteId={siteFilter || undefined}
            onCancel={() => setDialog(null)}
            onSaved={() => {
              setDialog(null);
              services.reload();
            }}
          />
        )}
      </Dialog>
    </>
  );
}
