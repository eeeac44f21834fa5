import { Fragment, lazy, Suspense, useCallback, useMemo, type ReactNode } from 'react';
import { BrowserRouter, Link, Navigate, Route, Routes, useLocation, useParams } from 'react-router';
import { getTenantSettings } from './api/endpoints.ts';
import { setCurrentTenant } from './api/http.ts';
import { describeError } from './api/problem.ts';
import { AppShell } from './components/app-shell.tsx';
import { Alert, Button, EmptyState, Spinner } from './components/ui.tsx';
import { useResource } from './lib/use-resource.ts';
import { ApiKeysPage } from './pages/api-keys-page.tsx';
import { AuditPage } from './pages/audit-page.tsx';
import { OutboxPage } from './pages/outbox-page.tsx';
import { ReportSchedulesPage } from './pages/report-schedules-page.tsx';
import {
  ForgotPasswordPage,
  LoginPage,
  ResetPasswordPage,
  SignupPage,
} from './pages/auth-pages.tsx';
import { BillingPage } from './pages/billing/billing-page.tsx';
import { InvitePage } from './pages/invite-page.tsx';
import { MembersPage } from './pages/members-page.tsx';
import { NewWorkspacePage } from './pages/new-workspace-page.tsx';
import { ServicesPage } from './pages/services-page.tsx';
import { SettingsPage } from './pages/settings-page.tsx';
import { SitesPage } from './pages/sites-page.tsx';
import {
  lastWorkspace,
  rememberWorkspace,
  SessionProvider,
  useSession,
} from './session/session.tsx';
import { isManager, WorkspaceProvider, type WorkspaceValue } from './session/workspace.tsx';

// The chart library is most of the bundle: the pages with charts load it when first opened.
const DashboardPage = lazy(() =>
  import('./pages/dashboard-page.tsx').then((m) => ({ default: m.DashboardPage })),
);
const SitePage = lazy(() => import('./pages/site-page.tsx').then((m) => ({ default: m.SitePage })));

/** Pages behind sign-in: a signed-out visitor goes to /login and comes back afterwards. */
function RequireSignIn({ children }: { children: ReactNode }) {
  const { state, refresh } = useSession();
  const location = useLocation();
  if (state.status === 'loading') return <Spinner label="Loading your account…" />;
  if (state.status === 'error')
    return (
      <main className="auth-page" id="main">
        <Alert kind="error" title="ROI Spectrum could not be reached">
          <p>{describeError(state.error)}</p>
          <Button onClick={() => void refresh()}>Retry</Button>
        </Alert>
      </main>
    );
  if (state.status === 'signed_out') {
    const next = state.explicit ? '/' : location.pathname + location.search;
    return (
      <Navigate to={next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`} replace />
    );
  }
  return <>{children}</>;
}

/** Sign-in and sign-up pages send an already signed-in user onward. */
function GuestOnly({ children }: { children: ReactNode }) {
  const { state } = useSession();
  const location = useLocation();
  if (state.status === 'loading') return <Spinner />;
  if (state.status === 'signed_in') {
    const next = new URLSearchParams(location.search).get('next');
    return (
      <Navigate to={next && next.startsWith('/') && !next.startsWith('//') ? next : '/'} replace />
    );
  }
  return <>{children}</>;
}

/** `/`: the last workspace used, else the first, else create one. */
function Home() {
  const { state } = useSession();
  if (state.status !== 'signed_in') return null;
  const { memberships } = state.me;
  if (memberships.length === 0) return <Navigate to="/workspaces/new" replace />;
  const last = lastWorkspace();
  const target = memberships.find((m) => m.tenant.subdomain === last) ?? memberships[0]!;
  return <Navigate to={`/w/${target.tenant.subdomain}`} replace />;
}

/** Links without a workspace (checkout and portal return URLs, old bookmarks) open it in the last one. */
function ToWorkspace({ page }: { page: string }) {
  const { state } = useSession();
  const location = useLocation();
  if (state.status !== 'signed_in') return null;
  const last = lastWorkspace();
  const m =
    state.me.memberships.find((x) => x.tenant.subdomain === last) ?? state.me.memberships[0];
  if (!m) return <Navigate to="/workspaces/new" replace />;
  return <Navigate to={`/w/${m.tenant.subdomain}/${page}${location.search}`} replace />;
}

/** `/w/:workspace/*`: names the workspace on every call (X-Tenant-ID) and provides its role and settings. */
function WorkspaceRoute({ children }: { children: ReactNode }) {
  const { workspace = '' } = useParams();
  const { state } = useSession();
  const membership =
    state.status === 'signed_in'
      ? state.me.memberships.find((m) => m.tenant.subdomain === workspace)
      : undefined;
  // Set before the children render, so their first calls already name this workspace.
  if (membership) setCurrentTenant(membership.tenant.subdomain);
  const settings = useResource(async () => {
    if (!membership) return undefined;
    rememberWorkspace(membership.tenant.subdomain);
    return getTenantSettings();
  }, [membership?.tenant.id]);
  const reloadSettings = settings.reload;
  const value = useMemo<WorkspaceValue | null>(
    () =>
      membership
        ? {
            tenant: membership.tenant,
            role: membership.role,
            settings: settings.data,
            reloadSettings,
          }
        : null,
    [membership, settings.data, reloadSettings],
  );
  if (!value) {
    return (
      <main className="auth-page" id="main">
        <div className="auth-card">
          <EmptyState title="Workspace not found">
            <p>It does not exist, or you are not a member of it.</p>
            <Link to="/">Go to your workspaces</Link>
          </EmptyState>
        </div>
      </main>
    );
  }
  return (
    <WorkspaceProvider value={value}>
      {/* Keyed by workspace: switching remounts the pages, so nothing shows the previous workspace's data. */}
      <AppShell>
        <Fragment key={value.tenant.id}>{children}</Fragment>
      </AppShell>
    </WorkspaceProvider>
  );
}

function ManagersOnly({ children }: { children: ReactNode }) {
  const { workspace = '' } = useParams();
  const { state } = useSession();
  const role =
    state.status === 'signed_in'
      ? state.me.memberships.find((m) => m.tenant.subdomain === workspace)?.role
      : undefined;
  if (role && !isManager(role)) {
    return (
      <EmptyState title="Owners and admins only">
        <p>Your role ({role}) cannot open this page.</p>
      </EmptyState>
    );
  }
  return <>{children}</>;
}

function NotFound() {
  return (
    <main className="auth-page" id="main">
      <div className="auth-card">
        <EmptyState title="Page not found">
          <Link to="/">Go home</Link>
        </EmptyState>
      </div>
    </main>
  );
}

function WorkspacePages() {
  const manager = useCallback((el: ReactNode) => <ManagersOnly>{el}</ManagersOnly>, []);
  return (
    <WorkspaceRoute>
      <Suspense fallback={<Spinner />}>
        <Routes>
          <Route index element={<DashboardPage />} />
          <Route path="sites" element={<SitesPage />} />
          <Route path="sites/:siteId" element={<SitePage />} />
          <Route path="services" element={<ServicesPage />} />
          <Route path="billing" element={manager(<BillingPage />)} />
          <Route path="members" element={manager(<MembersPage />)} />
          <Route path="api-keys" element={manager(<ApiKeysPage />)} />
          <Route path="audit" element={manager(<AuditPage />)} />
          <Route path="outbox" element={manager(<OutboxPage />)} />
          <Route path="report-emails" element={manager(<ReportSchedulesPage />)} />
          <Route path="settings" element={<SettingsPage />} />
          <Route path="*" element={<EmptyState title="Page not found" />} />
        </Routes>
      </Suspense>
    </WorkspaceRoute>
  );
}

export function App() {
  return (
    <BrowserRouter>
      <SessionProvider>
        <Routes>
          <Route
            path="/login"
            element={
              <GuestOnly>
                <LoginPage />
              </GuestOnly>
            }
          />
          <Route
            path="/signup"
            element={
              <GuestOnly>
                <SignupPage />
              </GuestOnly>
            }
          />
          <Route path="/invite" element={<InvitePage />} />
          <Route
            path="/forgot-password"
            element={
              <GuestOnly>
                <ForgotPasswordPage />
              </GuestOnly>
            }
          />
          <Route path="/reset-password" element={<ResetPasswordPage />} />
          <Route
            path="/"
            element={
              <RequireSignIn>
                <Home />
              </RequireSignIn>
            }
          />
          <Route
            path="/workspaces/new"
            element={
              <RequireSignIn>
                <NewWorkspacePage />
              </RequireSignIn>
            }
          />
          <Route
            path="/w/:workspace/*"
            element={
              <RequireSignIn>
                <WorkspacePages />
              </RequireSignIn>
            }
          />
          {['billing', 'settings', 'members', 'sites', 'services', 'audit', 'api-keys'].map(
            (page) => (
              <Route
                key={page}
                path={`/${page}`}
                element={
                  <RequireSignIn>
                    <ToWorkspace page={page} />
                  </RequireSignIn>
                }
              />
            ),
          )}
          <Route path="*" element={<NotFound />} />
        </Routes>
      </SessionProvider>
    </BrowserRouter>
  );
}
