import { useId, useState, type FormEvent } from 'react';
import type { Role } from '../../shared/schemas/common.ts';
import { CreateInvitationBody } from '../../shared/schemas/tenants.ts';
import {
  createInvitation,
  listInvitations,
  listMembers,
  listSites,
  removeMember,
  revokeInvitation,
  updateMember,
  type MemberT,
  type SiteT,
} from '../api/endpoints.ts';
import { describeError, errorsFor, humanizeMessage, type FieldError } from '../api/problem.ts';
import { DataTable } from '../components/data-table.tsx';
import {
  Alert,
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
  SecretField,
} from '../components/ui.tsx';
import { formatDate } from '../lib/dates.ts';
import { useResource } from '../lib/use-resource.ts';
import { precheck, useSubmit } from '../lib/use-submit.ts';
import { useMe } from '../session/session.tsx';
import { useWorkspace } from '../session/workspace.tsx';

const ROLES: { value: Role; label: string; help: string }[] = [
  { value: 'owner', label: 'Owner', help: 'Everything, including billing.' },
  { value: 'admin', label: 'Admin', help: 'Everything, including billing, members and API keys.' },
  { value: 'member', label: 'Member', help: 'Sites, services and imports.' },
  { value: 'client', label: 'Client', help: 'Read-only, and only the sites granted.' },
];

/** The roles one may give: only an owner makes owners. */
function RoleOptions() {
  const { role: myRole } = useWorkspace();
  return (
    <>
      {ROLES.filter((r) => myRole === 'owner' || r.value !== 'owner').map((r) => (
        <option key={r.value} value={r.value}>
          {r.label}
        </option>
      ))}
    </>
  );
}

/** The sites a client may see. */
function SitePicker({
  sites,
  value,
  onChange,
  errors = [],
}: {
  sites: SiteT[];
  value: string[];
  onChange: (ids: string[]) => void;
  errors?: readonly FieldError[];
}) {
  const errorId = useId();
  const messages = errorsFor(errors, 'siteIds');
  if (sites.length === 0)
    return (
      <p
        className={messages.length ? 'field-error' : 'muted'}
        role={messages.length ? 'alert' : undefined}
      >
        No sites yet: add a site first, then invite the client to it.
      </p>
    );
  return (
    <fieldset
      className={`checkbox-group${messages.length ? ' field-invalid' : ''}`}
      aria-describedby={messages.length ? errorId : undefined}
    >
      <legend>Sites this client may see</legend>
      {messages.length > 0 && (
        <div className="field-error" id={errorId} role="alert">
          {messages.map(humanizeMessage).join('. ')}
        </div>
      )}
      {sites.map((s) => (
        <label key={s.id} className="checkbox">
          <input
            type="checkbox"
            checked={value.includes(s.id)}
            onChange={(e) =>
              onChange(e.target.checked ? [...value, s.id] : value.filter((id) => id !== s.id))
            }
          />
          {s.name} <span className="muted">({s.domain})</span>
        </label>
      ))}
    </fieldset>
  );
}

function InviteForm({ sites, onInvited }: { sites: SiteT[]; onInvited: () => void }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [siteIds, setSiteIds] = useState<string[]>([]);
  const [link, setLink] = useState<{ email: string; url: string | null } | null>(null);
  const submit = useSubmit(async () => {
    const created = await createInvitation({
      email,
      role,
      ...(role === 'client' ? { siteIds } : {}),
    });
    setLink({ email: created.email, url: created.acceptUrl });
    // The form starts over: the next invitation is typed from scratch.
    setEmail('');
    setRole('member');
    setSiteIds([]);
    onInvited();
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const check = precheck(CreateInvitationBody, {
      email,
      role,
      ...(role === 'client' ? { siteIds } : {}),
    });
    if (!check.ok) {
      submit.setFieldErrors(check.errors);
      return;
    }
    setLink(null);
    void submit.run();
  };
  return (
    <Card title="Invite someone">
      <form onSubmit={onSubmit} noValidate className="form">
        <FormError error={submit.error} fields={['email', 'role', 'siteIds']} />
        <div className="grid-2">
          <Field label="Email" name="email" errors={submit.fieldErrors}>
            {(p) => (
              <input
                {...p}
                type="email"
                value={email}
                onChange={(e) => setEmail(e.target.value)}
                required
              />
            )}
          </Field>
          <Field
            label="Role"
            name="role"
            errors={submit.fieldErrors}
            hint={ROLES.find((r) => r.value === role)?.help}
          >
            {(p) => (
              <select {...p} value={role} onChange={(e) => setRole(e.target.value as Role)}>
                <RoleOptions />
              </select>
            )}
          </Field>
        </div>
        {role === 'client' && (
          <SitePicker
            sites={sites}
            value={siteIds}
            onChange={setSiteIds}
            errors={submit.fieldErrors}
          />
        )}
        <FormActions submitLabel="Create invitation" busy={submit.busy} />
      </form>
      {link && (
        <Alert kind="success" title={`Invitation created for ${link.email}`}>
          {link.url ? (
            <>
              <p>No email is sent: pass this link on. It works once and expires in 7 days.</p>
              <SecretField value={link.url} label="Invitation link" />
            </>
          ) : (
            <p>The link was shown when the invitation was first created.</p>
          )}
        </Alert>
      )}
    </Card>
  );
}

/** Edit and remove, for one member's row; its state is reset when the member changes (the row key). */
function MemberActions({
  member,
  sites,
  onChanged,
}: {
  member: MemberT;
  sites: SiteT[];
  onChanged: () => void;
}) {
  const me = useMe();
  const { role: myRole } = useWorkspace();
  const [editing, setEditing] = useState(false);
  const [role, setRole] = useState<Role>(member.role);
  const [siteIds, setSiteIds] = useState<string[]>(member.siteIds);
  const save = useSubmit(async () => {
    await updateMember(member.userId, { role, ...(role === 'client' ? { siteIds } : {}) });
    setEditing(false);
    onChanged();
  });
  const remove = useSubmit(async () => {
    await removeMember(member.userId);
    onChanged();
  });
  const isMe = member.userId === me.user.id;
  return (
    <>
      <Button
        className="btn-small"
        onClick={() => setEditing(true)}
        disabled={member.role === 'owner' && myRole !== 'owner'}
      >
        Edit
      </Button>
      <ConfirmButton
        className="btn-small"
        variant="danger"
        busy={remove.busy}
        disabled={isMe}
        question={`Remove ${member.name} from this workspace?`}
        onConfirm={() => void remove.run()}
      >
        Remove
      </ConfirmButton>
      {remove.error ? <div className="field-error">{describeError(remove.error)}</div> : null}
      <Dialog open={editing} title={`Edit ${member.name}`} onClose={() => setEditing(false)}>
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            void save.run();
          }}
        >
          <FormError error={save.error} fields={['role', 'siteIds']} />
          <Field label="Role" name="role" errors={save.fieldErrors}>
            {(p) => (
              <select {...p} value={role} onChange={(e) => setRole(e.target.value as Role)}>
                <RoleOptions />
              </select>
            )}
          </Field>
          {role === 'client' && (
            <SitePicker
              sites={sites}
              value={siteIds}
              onChange={setSiteIds}
              errors={save.fieldErrors}
            />
          )}
          <FormActions submitLabel="Save" busy={save.busy} onCancel={() => setEditing(false)} />
        </form>
      </Dialog>
    </>
  );
}

export function MembersPage() {
  const members = useResource(() => listMembers(), []);
  const invitations = useResource(() => listInvitations(), []);
  const sites = useResource(
    () => listSites().catch(() => ({ data: [] as SiteT[], nextCursor: null })),
    [],
  );
  const withdraw = useSubmit(async (id: string) => {
    await revokeInvitation(id);
    invitations.reload();
  });
  const siteList = sites.data?.data ?? [];
  const me = useMe();
  const siteNamesOf = (ids: string[]) =>
    ids.map((id) => siteList.find((s) => s.id === id)?.name ?? 'a deleted site');
  const siteNames = (m: MemberT) => siteNamesOf(m.siteIds);
  return (
    <>
      <PageHeader title="Members">
        People in this workspace and the invitations waiting for them.
      </PageHeader>
      <InviteForm sites={siteList} onInvited={invitations.reload} />
      <Card title="Members" className="mt">
        <Loadable resource={members} label="members">
          {(page) => (
            <DataTable
              rows={page.data}
              rowKey={(m) => m.userId + m.role + m.siteIds.join()}
              columns={[
                {
                  header: 'Name',
                  cell: (m) => (
                    <>
                      <strong>{m.name}</strong> {m.userId === me.user.id && <Badge>you</Badge>}
                      <div className="muted">{m.email}</div>
                    </>
                  ),
                },
                {
                  header: 'Role',
                  cell: (m) => (
                    <>
                      <Badge tone={m.role === 'owner' ? 'info' : 'neutral'}>{m.role}</Badge>
                      {m.role === 'client' && (
                        <div className="muted small">
                          Sites: {siteNames(m).join(', ') || 'none'}
                        </div>
                      )}
                    </>
                  ),
                },
                { header: 'Joined', cell: (m) => formatDate(m.joinedAt) },
                {
                  header: 'Actions',
                  kind: 'actions',
                  cell: (m) => (
                    <MemberActions member={m} sites={siteList} onChanged={members.reload} />
                  ),
                },
              ]}
            />
          )}
        </Loadable>
      </Card>
      <Card title="Pending invitations" className="mt">
        <FormError error={withdraw.error} />
        <Loadable resource={invitations} label="invitations">
          {(page) => (
            <DataTable
              rows={page.data.filter((i) => !i.acceptedAt)}
              rowKey={(i) => i.id}
              empty={<EmptyState title="No pending invitations" />}
              columns={[
                { header: 'Email', cell: (i) => i.email },
                {
                  header: 'Role',
                  cell: (i) => (
                    <>
                      <Badge>{i.role}</Badge>
                      {i.role === 'client' && (
                        <div className="muted small" data-testid="invitation-sites">
                          Sites: {siteNamesOf(i.siteIds).join(', ') || 'none'}
                        </div>
                      )}
                    </>
                  ),
                },
                { header: 'Invited', cell: (i) => formatDate(i.createdAt) },
                { header: 'Expires', cell: (i) => formatDate(i.expiresAt) },
                {
                  header: 'Actions',
                  kind: 'actions',
                  cell: (i) => (
                    <ConfirmButton
                      className="btn-small"
                      variant="danger"
                      busy={withdraw.busy}
                      question={`Withdraw the invitation for ${i.email}? Its link stops working.`}
                      onConfirm={() => void withdraw.run(i.id)}
                      aria-label={`Withdraw the invitation for ${i.email}`}
                    >
                      Withdraw
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
