import { Fragment, lazy, Suspense, useCallback, useEffect, useMemo, type ReactNode } from 'react';
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
import { IntegrationsPage } from './pages/integrations-page.tsx';
import { InvitePage } from './pages/invite-page.tsx';
import { MembersPage } from './pages/members-page.tsx';
import { NewWorkspacePage } from './pages/new-workspace-page.tsx';
import { ServicesPage } from './pages/services-page.tsx';
import { ShareLinksPage } from './pages/reports/share-links-page.tsx';
import { SettingsPage } from './pages/settings-page.tsx';
import { SitesPage } from './pages/sites-page.tsx';
import {
  lastWorkspace,
  rememberWorkspace,
  SessionProvider,
  useSession,
} from './session/session.tsx';
import {
  isManager,
  isStaff,
  useWorkspacePath,
  WorkspaceProvider,
  type WorkspaceValue,
} from './session/workspace.tsx';

// The chart library is most of the bundle: the pages with charts load it when first opened.
const DashboardPage = lazy(() =>
  import('./pages/dashboard-page.tsx').then((m) => ({ default: m.DashboardPage })),
);
const SitePage = lazy(() => import('./pages/site-page.tsx').then((m) => ({ default: m.SitePage })));
const PublicReportPage = lazy(() =>
  import('./pages/reports/public-report-page.tsx').then((m) => ({ default: m.PublicReportPage })),
);

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
          <EmptyState title="Workspace not found" heading="h1">
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

/** Pages of the agency's own work (services, time log, settings, integrations): not for a client. */
function StaffOnly({ children }: { children: ReactNode }) {
  const { workspace = '' } = useParams();
  const { state } = useSession();
  const role =
    state.status === 'signed_in'
      ? state.me.memberships.find((m) => m.tenant.subdomain === workspace)?.role
      : undefined;
  if (role && !isStaff(role)) {
    return (
      <EmptyState title="Not available to clients">
        <p>This page is for the agency's team.</p>
      </EmptyState>
    );
  }
  return <>{children}</>;
}

function NotFound() {
  useEffect(() => {
    document.title = 'Page not found · ROI Spectrum';
  }, []);
  return (
    <main className="auth-page" id="main">
      <div className="auth-card">
        <EmptyState title="Page not found" heading="h1">
          <p>The address may be mistyped, or the page has moved.</p>
          <Link to="/">Go home</Link>
        </EmptyState>
      </div>
    </main>
  );
}

/** An unknown page inside a workspace: the frame stays, the page says so in its heading. */
function WorkspaceNotFound() {
  const path = useWorkspacePath();
  useEffect(() => {
    document.title = 'Page not found · ROI Spectrum';
  }, []);
  return (
    <EmptyState title="Page not found" heading="h1">
      <p>
        There is no such page in this workspace. <Link to={path()}>Go to the dashboard</Link>
      </p>
    </EmptyState>
  );
}

function WorkspacePages() {
  const manager = useCallback((el: ReactNode) => <ManagersOnly>{el}</ManagersOnly>, []);
  const staff = useCallback((el: ReactNode) => <StaffOnly>{el}</StaffOnly>, []);
  return (
    <WorkspaceRoute>
      <Suspense fallback={<Spinner />}>
        <Routes>
          <Route index element={<DashboardPage />} />
          <Route path="sites" element={<SitesPage />} />
          <Route path="sites/:siteId" element={<SitePage />} />
          <Route path="services" element={staff(<ServicesPage />)} />
          <Route path="shared-reports" element={<ShareLinksPage />} />
          <Route path="billing" element={manager(<BillingPage />)} />
          <Route path="members" element={manager(<MembersPage />)} />
          <Route path="api-keys" element={manager(<ApiKeysPage />)} />
          <Route path="audit" element={manager(<AuditPage />)} />
          <Route path="outbox" element={manager(<OutboxPage />)} />
          <Route path="report-emails" element={manager(<ReportSchedulesPage />)} />
          <Route path="integrations" element={staff(<IntegrationsPage />)} />
          <Route path="settings" element={staff(<SettingsPage />)} />
          <Route path="*" element={<WorkspaceNotFound />} />
        </Routes>
      </Suspense>
    </WorkspaceRoute>
  );
}

/** Shared reports need no account: their page lives outside the session. */
export function App() {
  return (
    <BrowserRouter>
      <Routes>
        <Route
          path="/r/:token"
          element={
            <Suspense fallback={<Spinner label="Loading the report…" />}>
              <PublicReportPage />
            </Suspense>
          }
        />
        <Route path="*" element={<SignedInApp />} />
      </Routes>
    </BrowserRouter>
  );
}

function SignedInApp() {
  return (
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
        {/* /integrations: where the Google OAuth callback sends the browser back (303). */}
        {[
          'billing',
          'settings',
          'members',
          'sites',
          'services',
          'audit',
          'api-keys',
          'integrations',
        ].map((page) => (
          <Route
            key={page}
            path={`/${page}`}
            element={
              <RequireSignIn>
                <ToWorkspace page={page} />
              </RequireSignIn>
            }
          />
        ))}
        <Route path="*" element={<NotFound />} />
      </Routes>
    </SessionProvider>
  );
}
