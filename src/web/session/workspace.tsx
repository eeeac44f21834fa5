import { createContext, useCallback, useContext, type ReactNode } from 'react';
import type { Role } from '../../shared/schemas/common.ts';
import type { TenantSettingsT } from '../api/endpoints.ts';

export interface WorkspaceValue {
  tenant: { id: string; name: string; subdomain: string };
  role: Role;
  /** The settings (currency, time zone, plan); undefined while they load. */
  settings: TenantSettingsT | undefined;
  reloadSettings: () => void;
}

const WorkspaceContext = createContext<WorkspaceValue | null>(null);

export function WorkspaceProvider({
  value,
  children,
}: {
  value: WorkspaceValue;
  children: ReactNode;
}) {
  return <WorkspaceContext.Provider value={value}>{children}</WorkspaceContext.Provider>;
}

export function useWorkspace(): WorkspaceValue {
  const value = useContext(WorkspaceContext);
  if (!value) throw new Error('useWorkspace outside a workspace route');
  return value;
}

/** The workspace's currency (USD until its settings load). */
export function useCurrency(): string {
  return useContext(WorkspaceContext)?.settings?.currency ?? 'USD';
}

/** Builds a link inside the current workspace: `path('sites')` → `/w/acme/sites`. */
export function useWorkspacePath(): (sub?: string) => string {
  const ws = useContext(WorkspaceContext)?.tenant.subdomain;
  return useCallback((sub = '') => (ws ? `/w/${ws}${sub ? `/${sub}` : ''}` : '/'), [ws]);
}

export const isManager = (role: Role) => role === 'owner' || role === 'admin';
export const isStaff = (role: Role) => role !== 'client';
