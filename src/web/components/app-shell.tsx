import { useState, type CSSProperties, type ReactNode } from 'react';
import { Link, NavLink, useLocation, useNavigate } from 'react-router';
import { useMe, useSession } from '../session/session.tsx';
import { isManager, isStaff, useWorkspace, useWorkspacePath } from '../session/workspace.tsx';
import { PastDueBanner } from '../pages/billing/past-due-banner.tsx';
import { ThemeToggle } from './theme-toggle.tsx';

interface NavItem {
  to: string;
  label: string;
  managersOnly?: boolean;
  /** Pages for the agency's team (services, integrations, settings): hidden from a client member. */
  staffOnly?: boolean;
  end?: boolean;
}

const NAV: NavItem[] = [
  { to: '', label: 'Dashboard', end: true },
  { to: 'sites', label: 'Sites' },
  { to: 'services', label: 'Services', staffOnly: true },
  { to: 'shared-reports', label: 'Shared reports' },
  { to: 'integrations', label: 'Integrations', staffOnly: true },
  { to: 'billing', label: 'Billing', managersOnly: true },
  { to: 'members', label: 'Members', managersOnly: true },
  { to: 'api-keys', label: 'API keys', managersOnly: true },
  { to: 'audit', label: 'Audit log', managersOnly: true },
  { to: 'report-emails', label: 'Report e-mails', managersOnly: true },
  { to: 'outbox', label: 'Outbox', managersOnly: true },
  { to: 'settings', label: 'Settings', staffOnly: true },
];

function WorkspaceSwitcher() {
  const me = useMe();
  const { tenant, role } = useWorkspace();
  const navigate = useNavigate();
  return (
    <div className="switcher">
      <label htmlFor="workspace-switcher" className="switcher-label">
        Workspace
      </label>
      <select
        id="workspace-switcher"
        value={tenant.subdomain}
        onChange={(e) => {
          const value = e.target.value;
          void navigate(value === '__new' ? '/workspaces/new' : `/w/${value}`);
        }}
      >
        {me.memberships.map((m) => (
          <option key={m.tenant.id} value={m.tenant.subdomain}>
            {m.tenant.name} ({m.role})
          </option>
        ))}
        {role !== 'client' && <option value="__new">+ Create a workspace…</option>}
      </select>
    </div>
  );
}

/**
 * The product's name for the agency's team; for a client member, the agency's branding (its
 * display name and logo), as on the reports it shares.
 */
function Brand({ client, to }: { client: boolean; to: string }) {
  const { tenant, settings } = useWorkspace();
  if (client) {
    const name = settings?.branding.displayName ?? tenant.name;
    return (
      <Link to={to} className="brand" data-testid="client-brand">
        {settings?.branding.logoUrl && (
          <img className="brand-logo" src={settings.branding.logoUrl} alt="" />
        )}{' '}
        {name}
      </Link>
    );
  }
  return (
    <Link to={to} className="brand">
      <span className="brand-mark" aria-hidden="true">
        ◆
      </span>{' '}
      ROI Spectrum
    </Link>
  );
}

/** The frame of every workspace page: navigation, workspace switcher, account, banners. */
export function AppShell({ children }: { children: ReactNode }) {
  const me = useMe();
  const { signOut } = useSession();
  const { role, settings } = useWorkspace();
  const path = useWorkspacePath();
  const location = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const [lastPath, setLastPath] = useState(location.pathname);
  if (lastPath !== location.pathname) {
    // Navigating closes the phone menu.
    setLastPath(location.pathname);
    setMenuOpen(false);
  }
  const items = NAV.filter(
    (i) => (!i.managersOnly || isManager(role)) && (!i.staffOnly || isStaff(role)),
  );

  return (
    <div
      className="shell"
      style={
        role === 'client' && settings?.branding.primaryColor
          ? ({ '--primary': settings.branding.primaryColor } as CSSProperties)
          : undefined
      }
    >
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <aside className={`sidebar${menuOpen ? ' sidebar-open' : ''}`}>
        <div className="sidebar-top">
          <Brand client={role === 'client'} to={path()} />
          <button
            type="button"
            className="menu-toggle"
            aria-expanded={menuOpen}
            aria-controls="primary-nav"
            onClick={() => setMenuOpen((o) => !o)}
          >
            {menuOpen ? 'Close' : 'Menu'}
          </button>
        </div>
        <div className="sidebar-body" id="primary-nav">
          <WorkspaceSwitcher />
          <nav aria-label="Primary">
            <ul className="nav-list">
              {items.map((item) => (
                <li key={item.to}>
                  <NavLink
                    to={path(item.to)}
                    end={item.end}
                    className={({ isActive }) => `nav-link${isActive ? ' active' : ''}`}
                  >
                    {item.label}
                  </NavLink>
                </li>
              ))}
            </ul>
          </nav>
          <ThemeToggle className="theme-toggle-sidebar" />
          <div className="account">
            <div className="account-name" title={me.user.email}>
              {me.user.name}
              <span className="account-email">{me.user.email}</span>
            </div>
            <button
              type="button"
              className="btn btn-ghost btn-small"
              // Signed out, the workspace route sends the browser to /login.
              onClick={() => void signOut()}
            >
              Sign out
            </button>
          </div>
        </div>
      </aside>
      <div className="content">
        {isManager(role) && <PastDueBanner />}
        <main id="main" tabIndex={-1}>
          {children}
        </main>
      </div>
    </div>
  );
}
