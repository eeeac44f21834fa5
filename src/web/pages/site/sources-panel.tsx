import { useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import {
  deleteSiteSources,
  getSiteSources,
  getSiteSync,
  listIntegrationProperties,
  listIntegrations,
  putSiteSources,
  startSiteSync,
  type IntegrationT,
  type SiteSourcesT,
  type SyncStateT,
} from '../../api/endpoints.ts';
import { describeError } from '../../api/problem.ts';
import {
  Alert,
  Badge,
  Button,
  Card,
  ConfirmButton,
  EmptyState,
  FormError,
  Loadable,
  Spinner,
} from '../../components/ui.tsx';
import { formatDate, formatDateTime } from '../../lib/dates.ts';
import { formatNumber } from '../../lib/money.ts';
import { useResource } from '../../lib/use-resource.ts';
import { useSubmit } from '../../lib/use-submit.ts';
import { isManager, useWorkspace, useWorkspacePath } from '../../session/workspace.tsx';

const POLL_MS = 1000;
const active = (s: SyncStateT | undefined) => s?.status === 'queued' || s?.status === 'running';

/**
 * The site's sync state, polled while a sync is queued or running; `onFinished` runs when one
 * ends (the metrics changed).
 */
function useSyncState(siteId: string, linked: boolean, onFinished: () => void) {
  const [state, setState] = useState<SyncStateT | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  const finished = useRef(onFinished);
  finished.current = onFinished;
  const wasActive = useRef(false);

  useEffect(() => {
    if (!linked) {
      setState(undefined);
      return;
    }
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        const next = await getSiteSync(siteId, controller.signal);
        if (controller.signal.aborted) return;
        setState(next);
        setError(null);
        if (wasActive.current && !active(next)) finished.current();
        wasActive.current = active(next);
        if (active(next)) timer = setTimeout(() => void load(), POLL_MS);
      } catch (err) {
        if (controller.signal.aborted) return;
        setError(err);
        // A failed poll while a sync runs is retried: the sync goes on without us.
        if (wasActive.current) timer = setTimeout(() => void load(), POLL_MS * 3);
      }
    };
    void load();
    return () => {
      controller.abort();
      if (timer) clearTimeout(timer);
    };
  }, [siteId, linked, tick]);

  return { state, error, refresh: () => setTick((t) => t + 1), setState };
}

function SyncStatus({ state }: { state: SyncStateT }) {
  const { done, total } = state.progress;
  return (
    <div className="sync-status" data-testid="sync-status">
      <p>
        Status:{' '}
        {state.status === 'failed' ? (
          <Badge tone="bad">failed</Badge>
        ) : active(state) ? (
          <Badge tone="info">{state.status}</Badge>
        ) : (
          <Badge tone="good">idle</Badge>
        )}{' '}
        · Last synced: <span data-testid="last-synced">{formatDateTime(state.lastSyncedAt)}</span>
        {state.syncedThrough && <> · data through {formatDate(state.syncedThrough)}</>}
      </p>
      {active(state) && (
        <div className="progress-row">
          <label htmlFor="sync-progress">
            {state.status === 'queued' ? 'Waiting for the worker…' : 'Syncing days from Google…'}
          </label>
          <progress id="sync-progress" max={Math.max(total, 1)} value={done} />
          <span data-testid="sync-progress-text">
            {formatNumber(done)} of {formatNumber(total)} days
          </span>
        </div>
      )}
      {state.lastError && (
        <Alert kind="error" title="The last sync failed">
          <p data-testid="sync-error">{state.lastError}</p>
        </Alert>
      )}
    </div>
  );
}

/** Pickers of the Search Console and GA4 properties a connection can see, and the save button. */
function SourcesForm({
  siteId,
  integrations,
  current,
  onSaved,
}: {
  siteId: string;
  integrations: IntegrationT[];
  current: SiteSourcesT | null;
  onSaved: (saved: SiteSourcesT) => void;
}) {
  const [integrationId, setIntegrationId] = useState(
    current?.integrationId ?? integrations.find((i) => i.status === 'active')?.id ?? '',
  );
  const [searchConsole, setSearchConsole] = useState(current?.searchConsoleProperty ?? '');
  const [analytics, setAnalytics] = useState(current?.analyticsPropertyId ?? '');
  const [organicOnly, setOrganicOnly] = useState(current?.organicOnly ?? true);
  const properties = useResource(
    (signal) =>
      integrationId ? listIntegrationProperties(integrationId, signal) : Promise.resolve(null),
    [integrationId],
  );
  const save = useSubmit(async () => {
    const saved = await putSiteSources(siteId, {
      integrationId,
      searchConsoleProperty: searchConsole || null,
      analyticsPropertyId: analytics || null,
      organicOnly,
    });
    onSaved(saved);
  });
  const errorFor = (path: string) =>
    save.fieldErrors
      .filter((e) => e.path === path)
      .map((e) => e.message)
      .join('; ');

  return (
    <form
      className="sources-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save.run();
      }}
    >
      <div className="field">
        <label htmlFor="sources-connection">Google connection</label>
        <select
          id="sources-connection"
          value={integrationId}
          onChange={(e) => {
            setIntegrationId(e.target.value);
            setSearchConsole('');
            setAnalytics('');
          }}
        >
          {integrations.map((i) => (
            <option key={i.id} value={i.id}>
              {i.account}
              {i.status === 'broken' ? ' (broken)' : ''}
            </option>
          ))}
        </select>
      </div>
      {properties.loading && !properties.data ? (
        <Spinner label="Asking Google for the properties…" />
      ) : properties.error ? (
        <Alert kind="error" title="Could not read the properties from Google">
          <p>{describeError(properties.error)}</p>
          <Button onClick={properties.reload}>Retry</Button>
        </Alert>
      ) : (
        <>
          <div className={`field${errorFor('searchConsoleProperty') ? ' field-invalid' : ''}`}>
            <label htmlFor="sources-search-console">Search Console property</label>
            <select
              id="sources-search-console"
              value={searchConsole}
              onChange={(e) => setSearchConsole(e.target.value)}
            >
              <option value="">None</option>
              {/* A stored property Google no longer lists stays choosable, so saving keeps it. */}
              {searchConsole &&
                !properties.data?.searchConsole.some((p) => p.siteUrl === searchConsole) && (
                  <option value={searchConsole}>{searchConsole}</option>
                )}
              {properties.data?.searchConsole.map((p) => (
                <option key={p.siteUrl} value={p.siteUrl}>
                  {p.siteUrl} ({p.permissionLevel})
                </option>
              ))}
            </select>
            {errorFor('searchConsoleProperty') && (
              <div className="field-error" role="alert">
                {errorFor('searchConsoleProperty')}
              </div>
            )}
          </div>
          <div className={`field${errorFor('analyticsPropertyId') ? ' field-invalid' : ''}`}>
            <label htmlFor="sources-ga4">GA4 property</label>
            <select
              id="sources-ga4"
              value={analytics}
              onChange={(e) => setAnalytics(e.target.value)}
            >
              <option value="">None</option>
              {analytics && !properties.data?.analytics.some((p) => p.propertyId === analytics) && (
                <option value={analytics}>{analytics}</option>
              )}
              {properties.data?.analytics.map((p) => (
                <option key={p.propertyId} value={p.propertyId}>
                  {p.displayName} · {p.account} ({p.propertyId})
                </option>
              ))}
            </select>
            {errorFor('analyticsPropertyId') && (
              <div className="field-error" role="alert">
                {errorFor('analyticsPropertyId')}
              </div>
            )}
          </div>
          <div className="field field-checkbox">
            <input
              id="sources-organic"
              type="checkbox"
              checked={organicOnly}
              onChange={(e) => setOrganicOnly(e.target.checked)}
            />
            <label htmlFor="sources-organic">
              GA4: organic search sessions only (sessions, key events and revenue of the Organic
              Search channel)
            </label>
          </div>
        </>
      )}
      <FormError error={save.error} fields={['searchConsoleProperty', 'analyticsPropertyId']} />
      <div className="form-actions">
        <Button type="submit" variant="primary" busy={save.busy} disabled={!integrationId}>
          Save sources
        </Button>
      </div>
    </form>
  );
}

/**
 * A site's Google sources: which Search Console and GA4 properties feed it, "Sync now", the
 * progress of a sync, when it last synced and what went wrong. For staff; clients never see it.
 */
export function SourcesPanel({ siteId, onSynced }: { siteId: string; onSynced: () => void }) {
  const { role } = useWorkspace();
  const path = useWorkspacePath();
  const integrations = useResource((signal) => listIntegrations({}, signal), []);
  const sources = useResource((signal) => getSiteSources(siteId, signal), [siteId]);
  const linked = Boolean(sources.data);
  // A sync that ends re-reads the connections too: a failed one may have marked its own broken.
  const sync = useSyncState(siteId, linked, () => {
    integrations.reload();
    onSynced();
  });
  const [editing, setEditing] = useState(false);
  const syncNow = useSubmit(async () => {
    sync.setState(await startSiteSync(siteId));
    sync.refresh();
  });
  const unlink = useSubmit(async () => {
    await deleteSiteSources(siteId);
    sources.reload();
  });

  return (
    <Card title="Sources" className="mt">
      <Loadable resource={integrations} label="connections">
        {(page) => {
          const connections = page.data;
          if (connections.length === 0) {
            return (
              <EmptyState title="No Google account connected">
                <p>
                  {isManager(role) ? (
                    <Link to={path('integrations')}>Connect Google</Link>
                  ) : (
                    'An owner or admin can connect Google on the Integrations page'
                  )}{' '}
                  to fill this site&apos;s metrics from Search Console and GA4 by themselves.
                </p>
              </EmptyState>
            );
          }
          return (
            <Loadable resource={sources} label="the sources">
              {(current) => {
                const connection = connections.find((c) => c.id === current?.integrationId);
                if (!current || editing) {
                  return (
                    <>
                      {!current && (
                        <p className="muted">
                          Link this site to its Search Console and GA4 properties; its daily metrics
                          then arrive every day, after a backfill of 16 months.
                        </p>
                      )}
                      <SourcesForm
                        siteId={siteId}
                        integrations={connections}
                        current={current}
                        onSaved={() => {
                          setEditing(false);
                          sources.reload();
                          // A first link starts the backfill at once; a change waits for Sync now.
                          if (!current) void syncNow.run();
                          else sync.refresh();
                        }}
                      />
                      {editing && <Button onClick={() => setEditing(false)}>Cancel</Button>}
                    </>
                  );
                }
                const broken = connection?.status === 'broken';
                return (
                  <>
                    <dl className="sources-list" data-testid="site-sources">
                      <div>
                        <dt>Connection</dt>
                        <dd>
                          {connection?.account ?? 'unknown'}{' '}
                          {broken ? (
                            <Badge tone="bad">broken</Badge>
                          ) : (
                            <Badge tone="good">active</Badge>
                          )}
                        </dd>
                      </div>
                      <div>
                        <dt>Search Console</dt>
                        <dd>{current.searchConsoleProperty ?? 'none'}</dd>
                      </div>
                      <div>
                        <dt>GA4 property</dt>
                        <dd>
                          {current.analyticsPropertyId ?? 'none'}
                          {current.analyticsPropertyId &&
                            (current.organicOnly ? ' · organic search only' : ' · all channels')}
                        </dd>
                      </div>
                    </dl>
                    {broken && (
                      <Alert kind="error" title="The Google connection is broken">
                        <p>
                          {connection?.lastError ?? 'Google refused its token.'} No sync runs until
                          it is reconnected on the{' '}
                          <Link to={path('integrations')}>Integrations</Link> page.
                        </p>
                      </Alert>
                    )}
                    {sync.state ? (
                      <SyncStatus state={sync.state} />
                    ) : sync.error ? (
                      <Alert kind="error" title="Could not read the sync state">
                        <p>{describeError(sync.error)}</p>
                      </Alert>
                    ) : (
                      <Spinner label="Loading the sync state…" />
                    )}
                    <FormError error={syncNow.error ?? unlink.error} />
                    <div className="form-actions">
                      <Button onClick={() => setEditing(true)}>Change sources</Button>
                      <ConfirmButton
                        variant="danger"
                        busy={unlink.busy}
                        question="Unlink this site from Google? Its stored metrics stay; no further sync runs."
                        onConfirm={() => void unlink.run()}
                      >
                        Unlink
                      </ConfirmButton>
                      <Button
                        variant="primary"
                        busy={syncNow.busy}
                        disabled={broken || active(sync.state)}
                        onClick={() => void syncNow.run()}
                      >
                        Sync now
                      </Button>
                    </div>
                  </>
                );
              }}
            </Loadable>
          );
        }}
      </Loadable>
    </Card>
  );
}
