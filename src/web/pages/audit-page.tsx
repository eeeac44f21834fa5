import { useState, type FormEvent } from 'react';
import {
  exportAuditLog,
  listMembers,
  listAuditEvents,
  verifyAuditChain,
  type AuditFilters,
} from '../api/endpoints.ts';
import type { AuditEventT } from '../api/endpoints.ts';
import { describeError } from '../api/problem.ts';
import { DataTable } from '../components/data-table.tsx';
import {
  Alert,
  Badge,
  Button,
  Card,
  EmptyState,
  Field,
  FormError,
  Loadable,
  PageHeader,
} from '../components/ui.tsx';
import { formatDateTime } from '../lib/dates.ts';
import { useResource } from '../lib/use-resource.ts';
import { useSubmit } from '../lib/use-submit.ts';
import { useWorkspace } from '../session/workspace.tsx';

const EMPTY: AuditFilters = {
  action: '',
  actorId: '',
  targetType: '',
  targetId: '',
  from: '',
  to: '',
};

/** `{field: {from, to}}` as readable lines; anything else as JSON. */
export function describeChanges(changes: unknown): string[] {
  if (!changes || typeof changes !== 'object') return [];
  return Object.entries(changes as Record<string, unknown>).map(([field, value]) => {
    if (value && typeof value === 'object' && ('from' in value || 'to' in value)) {
      const v = value as { from?: unknown; to?: unknown };
      return `${field}: ${JSON.stringify(v.from ?? null)} → ${JSON.stringify(v.to ?? null)}`;
    }
    return `${field}: ${JSON.stringify(value)}`;
  });
}

/** Filters in the form become the query only on "Apply", so typing does not fire a request per key. */
function toQuery(f: AuditFilters): AuditFilters {
  const q: AuditFilters = {};
  for (const [k, v] of Object.entries(f) as [keyof AuditFilters, string | undefined][]) {
    if (!v) continue;
    // The server reads a bare date as the whole UTC day.
    q[k] = v.trim();
  }
  return q;
}

/** Everything an event records, under its row when expanded. */
function EventDetails({ event: e }: { event: AuditEventT }) {
  const changes = describeChanges(e.changes);
  return (
    <dl className="details">
      <dt>Changes</dt>
      <dd>
        {changes.length ? (
          <ul className="plain-list mono small">
            {changes.map((line, i) => (
              <li key={i}>{line}</li>
            ))}
          </ul>
        ) : (
          '—'
        )}
      </dd>
      <dt>Target</dt>
      <dd className="mono small">
        {e.target.type ? `${e.target.type} ${e.target.id ?? ''}` : '—'}
      </dd>
      <dt>Actor id</dt>
      <dd className="mono small">{e.actor.id ?? '—'}</dd>
      <dt>IP</dt>
      <dd>{e.ip ?? '—'}</dd>
      <dt>User agent</dt>
      <dd className="small">{e.userAgent ?? '—'}</dd>
      <dt>Request id</dt>
      <dd className="mono small">{e.requestId ?? '—'}</dd>
    </dl>
  );
}

function VerifyStatus() {
  const { tenant } = useWorkspace();
  const verify = useResource(() => verifyAuditChain(), [tenant.id]);
  return (
    <div className="verify" data-testid="chain-status" aria-live="polite">
      {verify.loading && !verify.data ? (
        <span className="muted">Verifying the chain…</span>
      ) : verify.error ? (
        <span className="text-bad">Could not verify: {describeError(verify.error)}</span>
      ) : verify.data ? (
        verify.data.valid ? (
          <span>
            <Badge tone="good">Chain valid</Badge> {verify.data.checked.toLocaleString()} events
            checked, none altered.
          </span>
        ) : (
          <span>
            <Badge tone="bad">Chain broken</Badge> The first invalid event is #
            {verify.data.firstInvalidSeq}: events were changed, removed or reordered.
          </span>
        )
      ) : null}{' '}
      <Button className="btn-small" onClick={verify.reload} busy={verify.loading}>
        Verify again
      </Button>
    </div>
  );
}

export function AuditPage() {
  const [draft, setDraft] = useState<AuditFilters>(EMPTY);
  const [filters, setFilters] = useState<AuditFilters>({});
  // Cursor stack: cursors[i] opened page i (page 0 has none), so "Previous" needs no server support.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [expanded, setExpanded] = useState<string | null>(null);
  const pageIndex = cursors.length - 1;
  const cursor = cursors[pageIndex] ?? null;
  const events = useResource(() => listAuditEvents(filters, { cursor }), [filters, cursor]);
  const members = useResource(() => listMembers(), []);
  const exporter = useSubmit(async (format: 'csv' | 'ndjson') => exportAuditLog(format, filters));

  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilters(toQuery(draft));
    setCursors([null]);
  };
  const set = (k: keyof AuditFilters) => (e: { target: { value: string } }) =>
    setDraft((d) => ({ ...d, [k]: e.target.value }));

  return (
    <>
      <PageHeader
        title="Audit log"
        actions={
          <>
            <Button onClick={() => void exporter.run('csv')} busy={exporter.busy}>
              Export CSV
            </Button>
            <Button onClick={() => void exporter.run('ndjson')} busy={exporter.busy}>
              Export NDJSON
            </Button>
          </>
        }
      >
        Every change in this workspace: who, what, when and from where, hash-chained so history
        cannot be rewritten unnoticed.
      </PageHeader>
      <VerifyStatus />
      <FormError error={exporter.error} />
      <Card title="Filters" className="mt">
        <form className="form filters-grid" onSubmit={apply}>
          <Field label="Action" name="action" hint="e.g. site.created">
            {(p) => <input {...p} value={draft.action} onChange={set('action')} />}
          </Field>
          <Field label="Actor id" name="actorId" hint="Pick a member or paste a user or key id">
            {(p) => (
              <>
                <input {...p} value={draft.actorId} onChange={set('actorId')} list="audit-actors" />
                <datalist id="audit-actors">
                  {members.data?.data.map((m) => (
                    <option key={m.userId} value={m.userId}>
                      {m.name} ({m.email})
                    </option>
                  ))}
                </datalist>
              </>
            )}
          </Field>
          <Field label="Target type" name="targetType" hint="e.g. site, service">
            {(p) => <input {...p} value={draft.targetType} onChange={set('targetType')} />}
          </Field>
          <Field label="Target id" name="targetId">
            {(p) => <input {...p} value={draft.targetId} onChange={set('targetId')} />}
          </Field>
          <Field label="From" name="from">
            {(p) => <input {...p} type="date" value={draft.from} onChange={set('from')} />}
          </Field>
          <Field label="To" name="to">
            {(p) => <input {...p} type="date" value={draft.to} onChange={set('to')} />}
          </Field>
          <div className="form-actions">
            <Button
              onClick={() => {
                setDraft(EMPTY);
                setFilters({});
                setCursors([null]);
              }}
            >
              Clear
            </Button>
            <Button type="submit" variant="primary">
              Apply filters
            </Button>
          </div>
        </form>
      </Card>
      <Card className="mt" title={`Events${pageIndex > 0 ? ` · page ${pageIndex + 1}` : ''}`}>
        {events.error && events.data ? (
          <Alert kind="error">{describeError(events.error)}</Alert>
        ) : null}
        <Loadable resource={events} label="the audit log">
          {(page) =>
            page.data.length === 0 ? (
              <EmptyState title="No events match these filters" />
            ) : (
              <>
                <DataTable
                  testId="audit-table"
                  rows={page.data}
                  rowKey={(e) => e.id}
                  rowDetails={(e) => expanded === e.id && <EventDetails event={e} />}
                  columns={[
                    { header: '#', cell: (e) => e.seq },
                    { header: 'When', cell: (e) => formatDateTime(e.occurredAt) },
                    {
                      header: 'Actor',
                      cell: (e) => (
                        <>
                          {e.actor.label ?? e.actor.id ?? '—'}{' '}
                          <span className="muted small">({e.actor.type})</span>
                        </>
                      ),
                    },
                    { header: 'Action', cell: (e) => <code>{e.action}</code> },
                    {
                      header: 'Target',
                      cell: (e) =>
                        e.target.type
                          ? `${e.target.type}${e.target.id ? ` ${e.target.id.slice(0, 8)}…` : ''}`
                          : '—',
                    },
                    {
                      header: 'Details',
                      kind: 'actions',
                      cell: (e) => (
                        <Button
                          className="btn-small"
                          variant="ghost"
                          aria-expanded={expanded === e.id}
                          onClick={() => setExpanded(expanded === e.id ? null : e.id)}
                        >
                          {expanded === e.id ? 'Hide' : 'Details'}
                        </Button>
                      ),
                    },
                  ]}
                />
                <nav className="pager" aria-label="Audit log pages">
                  <Button
                    onClick={() => setCursors((c) => c.slice(0, -1))}
                    disabled={pageIndex === 0}
                  >
                    ← Newer
                  </Button>
                  <span className="muted">Page {pageIndex + 1}</span>
                  <Button
                    onClick={() => page.nextCursor && setCursors((c) => [...c, page.nextCursor])}
                    disabled={!page.nextCursor}
                  >
                    Older →
                  </Button>
                </nav>
              </>
            )
          }
        </Loadable>
      </Card>
    </>
  );
}
