import { useState, type FormEvent } from 'react';
import { listSites } from '../api/endpoints.ts';
import {
  createReportSchedule,
  listReportSchedules,
  deleteReportSchedule,
  listDeliveries,
  previewReport,
  sendReportNow,
  updateReportSchedule,
  type ReportScheduleT,
} from '../api/mail.ts';
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
import { useResource } from '../lib/use-resource.ts';
import { useSubmit } from '../lib/use-submit.ts';

const PRESETS = {
  last_30_days: 'Last 30 days',
  last_90_days: 'Last 90 days',
  last_12_months: 'Last 12 months',
  month_to_date: 'Month to date',
  previous_month: 'Previous month',
  year_to_date: 'Year to date',
} as const;
const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

type Form = {
  name: string;
  siteIds: string[];
  recipients: string;
  frequency: 'weekly' | 'monthly';
  dayOfWeek: number;
  dayOfMonth: number;
  hour: number;
  preset: keyof typeof PRESETS;
  attachPdf: boolean;
};

const formOf = (s: ReportScheduleT | null): Form => ({
  name: s?.name ?? 'Monthly report',
  siteIds: s?.siteIds ?? [],
  recipients: s?.recipients.join(', ') ?? '',
  frequency: s?.frequency ?? 'monthly',
  dayOfWeek: s?.dayOfWeek ?? 1,
  dayOfMonth: s?.dayOfMonth ?? 1,
  hour: s?.hour ?? 8,
  preset: s?.period.preset ?? 'previous_month',
  attachPdf: s?.attachPdf ?? true,
});

/** Create or edit a schedule. */
function ScheduleDialog({
  schedule,
  open,
  onClose,
  onSaved,
}: {
  schedule: ReportScheduleT | null;
  open: boolean;
  onClose: () => void;
  onSaved: () => void;
}) {
  const sites = useResource(() => listSites({ limit: 200 }), []);
  const [form, setForm] = useState<Form>(() => formOf(schedule));
  const set = <K extends keyof Form>(k: K, v: Form[K]) => setForm((f) => ({ ...f, [k]: v }));
  const save = useSubmit(async () => {
    const body = {
      name: form.name,
      siteIds: form.siteIds,
      recipients: form.recipients
        .split(/[\s,;]+/)
        .map((r) => r.trim())
        .filter(Boolean),
      frequency: form.frequency,
      dayOfWeek: form.frequency === 'weekly' ? form.dayOfWeek : null,
      dayOfMonth: form.frequency === 'monthly' ? form.dayOfMonth : null,
      hour: form.hour,
      period: { preset: form.preset },
      attachPdf: form.attachPdf,
    };
    if (schedule) await updateReportSchedule(schedule.id, body);
    else await createReportSchedule(body);
    onSaved();
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void save.run();
  };
  const errors = save.fieldErrors;
  return (
    <Dialog
      open={open}
      title={schedule ? 'Edit report e-mail' : 'Schedule a report e-mail'}
      onClose={onClose}
    >
      <form onSubmit={onSubmit} className="form" noValidate>
        <FormError
          error={save.error}
          fields={['name', 'siteIds', 'recipients', 'dayOfWeek', 'dayOfMonth', 'hour', 'period']}
        />
        <Field label="Name" name="name" errors={errors}>
          {(p) => <input {...p} value={form.name} onChange={(e) => set('name', e.target.value)} />}
        </Field>
        <Field label="Sites" name="siteIds" errors={errors}>
          {(p) => (
            <select
              {...p}
              multiple
              value={form.siteIds}
              onChange={(e) =>
                set(
                  'siteIds',
                  [...e.target.selectedOptions].map((o) => o.value),
                )
              }
            >
              {(sites.data?.data ?? []).map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field
          label="Recipients"
          name="recipients"
          errors={errors}
          hint="1 to 20 addresses, separated by commas"
        >
          {(p) => (
            <input
              {...p}
              value={form.recipients}
              onChange={(e) => set('recipients', e.target.value)}
            />
          )}
        </Field>
        <Field label="Frequency" name="frequency" errors={errors}>
          {(p) => (
            <select
              {...p}
              value={form.frequency}
              onChange={(e) => set('frequency', e.target.value as Form['frequency'])}
            >
              <option value="weekly">Weekly</option>
              <option value="monthly">Monthly</option>
            </select>
          )}
        </Field>
        {form.frequency === 'weekly' ? (
          <Field label="Day of the week" name="dayOfWeek" errors={errors}>
            {(p) => (
              <select
                {...p}
                value={form.dayOfWeek}
                onChange={(e) => set('dayOfWeek', Number(e.target.value))}
              >
                {WEEKDAYS.map((d, i) => (
                  <option key={d} value={i + 1}>
                    {d}
                  </option>
                ))}
              </select>
            )}
          </Field>
        ) : (
          <Field label="Day of the month" name="dayOfMonth" errors={errors}>
            {(p) => (
              <input
                {...p}
                type="number"
                min={1}
                max={28}
                value={form.dayOfMonth}
                onChange={(e) => set('dayOfMonth', Number(e.target.value))}
              />
            )}
          </Field>
        )}
        <Field label="Hour (workspace time zone)" name="hour" errors={errors}>
          {(p) => (
            <input
              {...p}
              type="number"
              min={0}
              max={23}
              value={form.hour}
              onChange={(e) => set('hour', Number(e.target.value))}
            />
          )}
        </Field>
        <Field label="Period" name="period" errors={errors}>
          {(p) => (
            <select
              {...p}
              value={form.preset}
              onChange={(e) => set('preset', e.target.value as Form['preset'])}
            >
              {Object.entries(PRESETS).map(([v, l]) => (
                <option key={v} value={v}>
                  {l}
                </option>
              ))}
            </select>
          )}
        </Field>
        <label className="checkbox">
          <input
            type="checkbox"
            checked={form.attachPdf}
            onChange={(e) => set('attachPdf', e.target.checked)}
          />{' '}
          Attach the PDF report
        </label>
        <FormActions
          submitLabel={schedule ? 'Save' : 'Schedule'}
          busy={save.busy}
          onCancel={onClose}
        />
      </form>
    </Dialog>
  );
}

/** A schedule's delivery history and its e-mail as it would go out now. */
function ScheduleDetails({ schedule }: { schedule: ReportScheduleT }) {
  const deliveries = useResource(() => listDeliveries(schedule.id), [schedule.id]);
  const [preview, setPreview] = useState<{ subject: string; text: string } | null>(null);
  const send = useSubmit(async () => {
    await sendReportNow(schedule.id);
    deliveries.reload();
  });
  const showPreview = useSubmit(async () => setPreview(await previewReport(schedule.id)));
  return (
    <div className="mt">
      <div className="form-actions">
        <Button variant="primary" busy={send.busy} onClick={() => void send.run()}>
          Send now
        </Button>
        <Button busy={showPreview.busy} onClick={() => void showPreview.run()}>
          Preview
        </Button>
      </div>
      <FormError error={send.error ?? showPreview.error} />
      {preview && (
        <div data-testid="report-preview">
          <p>
            <strong>{preview.subject}</strong>
          </p>
          <pre className="message-text">{preview.text}</pre>
        </div>
      )}
      <Loadable resource={deliveries} label="deliveries">
        {(page) =>
          page.data.length === 0 ? (
            <EmptyState title="Not sent yet" />
          ) : (
            <DataTable
              variant="compact"
              testId="deliveries"
              rows={page.data}
              rowKey={(d) => d.id}
              columns={[
                { header: 'Period', cell: (d) => d.periodKey },
                { header: 'How', cell: (d) => (d.trigger === 'manual' ? 'sent now' : 'scheduled') },
                {
                  header: 'Status',
                  cell: (d) => (
                    <Badge
                      tone={d.status === 'sent' ? 'good' : d.status === 'failed' ? 'bad' : 'warn'}
                    >
                      {d.status}
                    </Badge>
                  ),
                },
                { header: 'Sent', cell: (d) => d.sentAt?.slice(0, 16).replace('T', ' ') ?? '—' },
                { header: 'Error', cell: (d) => d.error ?? '' },
              ]}
            />
          )
        }
      </Loadable>
    </div>
  );
}

/** Scheduled report e-mails (owners, admins). */
export function ReportSchedulesPage() {
  const list = useResource(() => listReportSchedules(), []);
  const [editing, setEditing] = useState<ReportScheduleT | 'new' | null>(null);
  const [openId, setOpenId] = useState<string | null>(null);
  const remove = useSubmit(async (id: string) => {
    await deleteReportSchedule(id);
    list.reload();
  });
  return (
    <>
      <PageHeader
        title="Report e-mails"
        actions={
          <Button variant="primary" onClick={() => setEditing('new')}>
            Schedule a report
          </Button>
        }
      >
        Branded reports e-mailed weekly or monthly, with the KPIs in the message and the PDF
        attached.
      </PageHeader>
      <FormError error={remove.error} />
      <Loadable resource={list} label="report e-mails">
        {(page) =>
          page.data.length === 0 ? (
            <EmptyState title="No report e-mails scheduled" />
          ) : (
            <>
              {page.data.map((s) => (
                <Card
                  key={s.id}
                  title={s.name}
                  className="mt"
                  actions={
                    <>
                      <Button onClick={() => setOpenId(openId === s.id ? null : s.id)}>
                        {openId === s.id ? 'Hide' : 'Deliveries'}
                      </Button>
                      <Button onClick={() => setEditing(s)}>Edit</Button>
                      <ConfirmButton
                        variant="danger"
                        question={`Delete the schedule “${s.name}” and its history?`}
                        onConfirm={() => void remove.run(s.id)}
                      >
                        Delete
                      </ConfirmButton>
                    </>
                  }
                >
                  <p>
                    {s.frequency === 'weekly'
                      ? `Every ${WEEKDAYS[(s.dayOfWeek ?? 1) - 1]}`
                      : `On day ${s.dayOfMonth} of each month`}{' '}
                    at {String(s.hour).padStart(2, '0')}:00 · {PRESETS[s.period.preset]} ·{' '}
                    {s.recipients.join(', ')}
                    {s.attachPdf && ' · PDF attached'} · next{' '}
                    {s.nextRunAt.slice(0, 16).replace('T', ' ')} UTC
                  </p>
                  {openId === s.id && <ScheduleDetails schedule={s} />}
                </Card>
              ))}
            </>
          )
        }
      </Loadable>
      {editing && (
        <ScheduleDialog
          open
          schedule={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            list.reload();
          }}
        />
      )}
    </>
  );
}
