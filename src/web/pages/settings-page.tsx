import { useState, type FormEvent } from 'react';
import { UpdateTenantBody } from '../../shared/schemas/tenants.ts';
import { updateTenantSettings, type TenantSettingsT } from '../api/endpoints.ts';
import { ApiError } from '../api/problem.ts';
import {
  Alert,
  Card,
  Field,
  FormActions,
  FormError,
  Loadable,
  PageHeader,
} from '../components/ui.tsx';
import { precheck, useSubmit } from '../lib/use-submit.ts';
import { useSession } from '../session/session.tsx';
import { isManager, useWorkspace } from '../session/workspace.tsx';
import { LogoCard } from './settings/logo-card.tsx';

const CURRENCIES = [
  'USD',
  'EUR',
  'GBP',
  'CAD',
  'AUD',
  'CHF',
  'SEK',
  'NOK',
  'DKK',
  'JPY',
  'INR',
  'BRL',
  'NZD',
  'PLN',
];

function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
  try {
    return intl.supportedValuesOf?.('timeZone') ?? ['UTC'];
  } catch {
    return ['UTC'];
  }
}

function SettingsForm({ settings, canEdit }: { settings: TenantSettingsT; canEdit: boolean }) {
  const { reloadSettings } = useWorkspace();
  const { refresh } = useSession();
  const [form, setForm] = useState({
    name: settings.name,
    currency: settings.currency,
    timezone: settings.timezone,
    displayName: settings.branding.displayName ?? '',
    primaryColor: settings.branding.primaryColor ?? '',
    reportTitle: settings.branding.reportTitle ?? '',
  });
  const [saved, setSaved] = useState(false);
  const body = () => ({
    name: form.name,
    currency: form.currency,
    timezone: form.timezone,
    branding: {
      displayName: form.displayName.trim() || null,
      primaryColor: form.primaryColor.trim() || null,
      reportTitle: form.reportTitle.trim() || null,
    },
  });
  const submit = useSubmit(async () => {
    await updateTenantSettings(body());
    setSaved(true);
    reloadSettings();
    await refresh();
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    const check = precheck(UpdateTenantBody, body());
    if (!check.ok) {
      submit.setFieldErrors(check.errors);
      return;
    }
    void submit.run();
  };
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm((f) => ({ ...f, [k]: e.target.value }));
  const zones = timeZones();
  const currencyRefused =
    submit.error instanceof ApiError &&
    submit.error.status === 409 &&
    form.currency !== settings.currency;
  const currencies = CURRENCIES.includes(settings.currency)
    ? CURRENCIES
    : [settings.currency, ...CURRENCIES];

  return (
    <>
      <form onSubmit={onSubmit} noValidate className="form">
        {!canEdit && <Alert kind="info">Only owners and admins can change these settings.</Alert>}
        {saved && <Alert kind="success">Settings saved.</Alert>}
        {currencyRefused ? (
          <Alert kind="error" title="The currency was not changed">
            <p data-testid="currency-refused">
              {submit.error instanceof ApiError && submit.error.problem.detail
                ? submit.error.problem.detail
                : 'Money is already stored in this workspace in its current currency.'}
            </p>
            <p>Nothing was saved. Set the currency back to {settings.currency} to save the rest.</p>
          </Alert>
        ) : (
          <FormError error={submit.error} fields={['name', 'currency', 'timezone', 'branding']} />
        )}
        <fieldset disabled={!canEdit} className="fieldset-plain">
          <Card title="Workspace">
            <div className="grid-2">
              <Field label="Name" name="name" errors={submit.fieldErrors}>
                {(p) => (
                  <input {...p} value={form.name} onChange={set('name')} required maxLength={120} />
                )}
              </Field>
              <Field
                label="Subdomain"
                name="subdomain"
                hint="Fixed when the workspace was created."
              >
                {(p) => <input {...p} value={settings.subdomain} readOnly />}
              </Field>
              <Field
                label="Currency"
                name="currency"
                errors={submit.fieldErrors}
                hint={
                  <>
                    Every amount is stored in it. It cannot change once any money is stored
                    (services, time entries, imported revenue, conversion values or value goals):
                    amounts are never converted or relabelled. Choose it before recording money.
                  </>
                }
              >
                {(p) => (
                  <select {...p} value={form.currency} onChange={set('currency')}>
                    {currencies.map((c) => (
                      <option key={c}>{c}</option>
                    ))}
                  </select>
                )}
              </Field>
              <Field label="Time zone" name="timezone" errors={submit.fieldErrors}>
                {(p) => (
                  <>
                    <input
                      {...p}
                      value={form.timezone}
                      onChange={set('timezone')}
                      list="tz-list"
                      autoComplete="off"
                    />
                    <datalist id="tz-list">
                      {zones.map((z) => (
                        <option key={z} value={z} />
                      ))}
                    </datalist>
                  </>
                )}
              </Field>
            </div>
          </Card>
          <Card title="Branding" className="mt">
            <div className="grid-2">
              <Field label="Report title" name="branding.reportTitle" errors={submit.fieldErrors}>
                {(p) => (
                  <input
                    {...p}
                    value={form.reportTitle}
                    onChange={set('reportTitle')}
                    maxLength={200}
                  />
                )}
              </Field>
              <Field
                label="Primary colour"
                name="branding.primaryColor"
                errors={submit.fieldErrors}
                hint="Like #1a2b3c."
              >
                {(p) => (
                  <div className="color-input">
                    <input
                      {...p}
                      value={form.primaryColor}
                      onChange={set('primaryColor')}
                      placeholder="#4f46e5"
                    />
                    <input
                      type="color"
                      aria-label="Pick the primary colour"
                      value={
                        /^#[0-9a-fA-F]{6}$/.test(form.primaryColor) ? form.primaryColor : '#4f46e5'
                      }
                      onChange={set('primaryColor')}
                    />
                  </div>
                )}
              </Field>
              <Field
                label="Display name"
                name="branding.displayName"
                errors={submit.fieldErrors}
                hint="What clients see on shared reports, PDFs and e-mails; empty: the workspace name."
              >
                {(p) => (
                  <input
                    {...p}
                    value={form.displayName}
                    onChange={set('displayName')}
                    maxLength={120}
                  />
                )}
              </Field>
            </div>
          </Card>
          {canEdit && <FormActions submitLabel="Save settings" busy={submit.busy} />}
        </fieldset>
      </form>
      <LogoCard logoUrl={settings.branding.logoUrl} canEdit={canEdit} />
    </>
  );
}

export function SettingsPage() {
  const { settings, role, reloadSettings } = useWorkspace();
  return (
    <>
      <PageHeader title="Settings">
        The workspace's name, currency, time zone and report branding.
      </PageHeader>
      <Loadable
        resource={{ data: settings, error: null, loading: !settings, reload: reloadSettings }}
        label="settings"
      >
        {(s) => <SettingsForm key={s.id} settings={s} canEdit={isManager(role)} />}
      </Loadable>
    </>
  );
}
