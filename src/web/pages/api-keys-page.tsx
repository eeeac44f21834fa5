import { useState, type FormEvent } from 'react';
import type { Role } from '../../shared/schemas/common.ts';
import { CreateApiKeyBody } from '../../shared/schemas/tenants.ts';
import { createApiKey, listApiKeys, revokeApiKey } from '../api/endpoints.ts';
import { DataTable } from '../components/data-table.tsx';
import {
  Alert,
  Badge,
  Card,
  ConfirmButton,
  EmptyState,
  Field,
  FormActions,
  FormError,
  Loadable,
  PageHeader,
  SecretField,
} from '../components/ui.tsx';
import { formatDateTime } from '../lib/dates.ts';
import { useResource } from '../lib/use-resource.ts';
import { precheck, useSubmit } from '../lib/use-submit.ts';
import { useWorkspace } from '../session/workspace.tsx';

export function ApiKeysPage() {
  const { role: myRole } = useWorkspace();
  const keys = useResource(() => listApiKeys(), []);
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [created, setCreated] = useState<{ name: string; key: string | null } | null>(null);
  const create = useSubmit(async () => {
    const reply = await createApiKey({ name, role });
    setCreated({ name: reply.name, key: reply.key });
    setName('');
    keys.reload();
  });
  const revoke = useSubmit(async (id: string) => {
    await revokeApiKey(id);
    keys.reload();
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const check = precheck(CreateApiKeyBody, { name, role });
    if (!check.ok) {
      create.setFieldErrors(check.errors);
      return;
    }
    setCreated(null);
    void create.run();
  };
  const roles: Role[] =
    myRole === 'owner' ? ['owner', 'admin', 'member', 'client'] : ['admin', 'member', 'client'];

  return (
    <>
      <PageHeader title="API keys">
        Keys let scripts call the API as this workspace: <code>Authorization: Bearer rsk_…</code>.
        Every endpoint is described in the <a href="/api/docs">API documentation</a>.
      </PageHeader>
      <Card title="Create a key">
        <form onSubmit={onSubmit} noValidate className="form">
          <FormError error={create.error} fields={['name', 'role']} />
          <div className="grid-2">
            <Field
              label="Key name"
              name="name"
              errors={create.fieldErrors}
              hint="Say where it is used, e.g. “Looker sync”."
            >
              {(p) => (
                <input
                  {...p}
                  value={name}
                  onChange={(e) => setName(e.target.value)}
                  required
                  maxLength={120}
                />
              )}
            </Field>
            <Field
              label="Role"
              name="role"
              errors={create.fieldErrors}
              hint="A key cannot outrank you."
            >
              {(p) => (
                <select {...p} value={role} onChange={(e) => setRole(e.target.value as Role)}>
                  {roles.map((r) => (
                    <option key={r}>{r}</option>
                  ))}
                </select>
              )}
            </Field>
          </div>
          <FormActions submitLabel="Create key" busy={create.busy} />
        </form>
        {created && (
          <Alert kind="success" title={`Key “${created.name}” created`}>
            {created.key ? (
              <>
                <p>
                  <strong>Copy it now: it is shown only this once.</strong> We keep only a hash.
                </p>
                <SecretField value={created.key} label="New API key" testId="new-api-key" />
              </>
            ) : (
              <p>This was a repeated request: the key was shown by the first one.</p>
            )}
          </Alert>
        )}
      </Card>
      <Card title="Keys" className="mt">
        <FormError error={revoke.error} />
        <Loadable resource={keys} label="API keys">
          {(page) => (
            <DataTable
              rows={page.data}
              rowKey={(k) => k.id}
              rowClassName={(k) => (k.revokedAt ? 'row-muted' : undefined)}
              empty={<EmptyState title="No API keys yet" />}
              columns={[
                { header: 'Name', cell: (k) => k.name },
                { header: 'Key', cell: (k) => <code>{k.prefix}…</code> },
                { header: 'Role', cell: (k) => <Badge>{k.role}</Badge> },
                { header: 'Created', cell: (k) => formatDateTime(k.createdAt) },
                { header: 'Last used', cell: (k) => formatDateTime(k.lastUsedAt) },
                {
                  header: 'Actions',
                  kind: 'actions',
                  cell: (k) =>
                    k.revokedAt ? (
                      <Badge tone="bad">revoked</Badge>
                    ) : (
                      <ConfirmButton
                        className="btn-small"
                        variant="danger"
                        question={`Revoke “${k.name}”? Scripts using it stop working at once.`}
                        onConfirm={() => void revoke.run(k.id)}
                      >
                        Revoke
                      </ConfirmButton>
                    ),
                },
              ]}
            />
          )}
        </Loadable>
      </Card>
    </>
  );
}
