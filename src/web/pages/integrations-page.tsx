import { useSearchParams } from 'react-router';
import {
  disconnectIntegration,
  listIntegrations,
  startGoogleConnection,
  type IntegrationT,
} from '../api/endpoints.ts';
import { DataTable } from '../components/data-table.tsx';
import {
  Alert,
  Badge,
  Button,
  Card,
  ConfirmButton,
  EmptyState,
  FormError,
  Loadable,
  PageHeader,
} from '../components/ui.tsx';
import { formatDateTime } from '../lib/dates.ts';
import { useResource } from '../lib/use-resource.ts';
import { useSubmit } from '../lib/use-submit.ts';
import { isManager, useWorkspace } from '../session/workspace.tsx';

/** Sends the browser to Google's consent page; Google sends it back to /integrations. */
async function connectGoogle(): Promise<void> {
  const { authorizationUrl } = await startGoogleConnection();
  // Only http(s): the server builds it, but a redirect never follows another scheme.
  if (!/^https?:\/\//i.test(authorizationUrl)) throw new Error('Unexpected authorization URL');
  window.location.assign(authorizationUrl);
}

/** What the OAuth callback said, from `?connected=<id>` or `?error=<message>`. */
function CallbackNotice({ connections }: { connections: IntegrationT[] | undefined }) {
  const [params, setParams] = useSearchParams();
  const connected = params.get('connected');
  const error = params.get('error');
  if (!connected && !error) return null;
  const dismiss = () => setParams({}, { replace: true });
  if (error) {
    return (
      <Alert kind="error" title="Google was not connected">
        <p>{error}</p>
        <Button onClick={dismiss}>Dismiss</Button>
      </Alert>
    );
  }
  const account = connections?.find((c) => c.id === connected)?.account;
  return (
    <Alert kind="success" title="Google account connected">
      <p data-testid="connected-notice">
        {account ? `${account} is connected.` : 'The connection is stored.'} Link each site to its
        Search Console and GA4 properties from the site&apos;s page (Sources).
      </p>
      <Button onClick={dismiss}>Dismiss</Button>
    </Alert>
  );
}

/**
 * Google connections: connect (owners and admins), each connection's status with its last error,
 * reconnect (the same Google account reactivates the same connection) and disconnect.
 */
export function IntegrationsPage() {
  const { role } = useWorkspace();
  const manager = isManager(role);
  const list = useResource((signal) => listIntegrations({}, signal), []);
  const connect = useSubmit(connectGoogle);
  const disconnect = useSubmit(async (id: string) => {
    await disconnectIntegration(id);
    list.reload();
  });

  return (
    <>
      <PageHeader
        title="Integrations"
        actions={
          manager && (
            <Button variant="primary" busy={connect.busy} onClick={() => void connect.run()}>
              Connect Google
            </Button>
          )
        }
      >
        Search Console and Google Analytics 4: once a site is linked, its daily numbers arrive by
        themselves.
      </PageHeader>
      <CallbackNotice connections={list.data?.data} />
      <FormError error={connect.error ?? disconnect.error} />
      <Card title="Google connections">
        <Loadable resource={list} label="connections">
          {(page) =>
            page.data.length === 0 ? (
              <EmptyState title="No Google account connected">
                <p>
                  {manager
                    ? 'Connect the Google account that can see your clients’ Search Console and GA4 properties.'
                    : 'An owner or admin of this workspace can connect one.'}
                </p>
              </EmptyState>
            ) : (
              <DataTable
                testId="integrations-table"
                rows={page.data}
                rowKey={(c) => c.id}
                columns={[
                  { header: 'Account', cell: (c) => <strong>{c.account}</strong> },
                  { header: 'Provider', cell: () => 'Google' },
                  {
                    header: 'Status',
                    cell: (c) =>
                      c.status === 'active' ? (
                        <Badge tone="good">active</Badge>
                      ) : (
                        <Badge tone="bad">broken</Badge>
                      ),
                  },
                  {
                    header: 'Last error',
                    cell: (c) =>
                      c.lastError ? (
                        <span className="field-error" data-testid="integration-error">
                          {c.lastError}
                          {c.status === 'broken' && ' — syncs are stopped until it is reconnected.'}
                        </span>
                      ) : (
                        <span className="muted">none</span>
                      ),
                  },
                  { header: 'Connected', cell: (c) => formatDateTime(c.createdAt) },
                  manager && {
                    header: 'Actions',
                    kind: 'actions',
                    cell: (c: IntegrationT) => (
                      <>
                        <Button
                          variant={c.status === 'broken' ? 'primary' : 'secondary'}
                          className="btn-small"
                          busy={connect.busy}
                          onClick={() => void connect.run()}
                          aria-label={`Reconnect ${c.account}`}
                        >
                          Reconnect
                        </Button>
                        <ConfirmButton
                          variant="danger"
                          className="btn-small"
                          busy={disconnect.busy}
                          aria-label={`Disconnect ${c.account}`}
                          question={`Disconnect ${c.account}? Its access is revoked at Google and its sites are unlinked; their stored metrics stay.`}
                          onConfirm={() => void disconnect.run(c.id)}
                        >
                          Disconnect
                        </ConfirmButton>
                      </>
                    ),
                  },
                ]}
              />
            )
          }
        </Loadable>
      </Card>
    </>
  );
}
