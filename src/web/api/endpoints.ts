import { z } from 'zod';
import { MeReply, UserReply } from '../../shared/schemas/accounts.ts';
import type { LoginBody, SignupBody } from '../../shared/schemas/accounts.ts';
import { Page } from '../../shared/schemas/common.ts';
import {
  ApiKey,
  CreatedApiKey,
  CreatedInvitation,
  Invitation,
  InvitationPreview,
  Member,
  SubdomainAvailability,
  Tenant,
  TenantSettings,
} from '../../shared/schemas/tenants.ts';
import type {
  CreateApiKeyBody,
  CreateInvitationBody,
  CreateTenantBody,
  UpdateMemberBody,
  UpdateTenantBody,
} from '../../shared/schemas/tenants.ts';
import {
  ImportMetricsResult,
  MetricDay,
  RoiReport,
  Service,
  Site,
  TimeEntry,
} from '../../shared/schemas/roi.ts';
import type {
  CreateServiceBody,
  CreateSiteBody,
  CreateTimeEntryBody,
  MetricRow,
  UpdateServiceBody,
  UpdateSiteBody,
} from '../../shared/schemas/roi.ts';
import type { Plan } from '../../shared/schemas/billing.ts';
import {
  BillingSubscription,
  CheckoutSession,
  Invoice,
  PlanList,
  PortalSession,
} from '../../shared/schemas/billing.ts';
import type { AuditEvent } from '../../shared/schemas/audit.ts';
import { AuditLogPage, AuditVerifyReply } from '../../shared/schemas/audit.ts';
import { download, request, requestAs, uploadWithProgress, type Query } from './http.ts';

/** Request bodies as the caller writes them (before the server's defaults and transforms). */
type In<S extends z.ZodType> = z.input<S>;
export interface PageQuery {
  limit?: number;
  cursor?: string | null;
}

// Accounts and workspaces
export const signup = (body: In<typeof SignupBody>) =>
  requestAs(UserReply, '/auth/signup', { method: 'POST', body, noTenant: true });
export const login = (body: In<typeof LoginBody>) =>
  requestAs(UserReply, '/auth/login', { method: 'POST', body, noTenant: true });
export const logout = () => request('/auth/logout', { method: 'POST', noTenant: true });
export const getMe = () => requestAs(MeReply, '/me', { noTenant: true });
export const createTenant = (body: In<typeof CreateTenantBody>) =>
  requestAs(Tenant, '/tenants', { method: 'POST', body, noTenant: true });
export const checkSubdomain = (subdomain: string, signal?: AbortSignal) =>
  requestAs(SubdomainAvailability, `/subdomains/${encodeURIComponent(subdomain)}`, {
    noTenant: true,
    signal,
  });

// The current workspace
export const getTenantSettings = () => requestAs(TenantSettings, '/tenant');
export const updateTenantSettings = (body: In<typeof UpdateTenantBody>) =>
  requestAs(TenantSettings, '/tenant', { method: 'PATCH', body });

// Members and invitations
export const listMembers = (q: PageQuery = {}) =>
  requestAs(Page(Member), '/members', { query: { limit: 200, ...q } });
export const updateMember = (userId: string, body: In<typeof UpdateMemberBody>) =>
  requestAs(Member, `/members/${userId}`, { method: 'PATCH', body });
export const removeMember = (userId: string) => request(`/members/${userId}`, { method: 'DELETE' });
export const listInvitations = (q: PageQuery = {}) =>
  requestAs(Page(Invitation), '/invitations', { query: { limit: 200, ...q } });
export const createInvitation = (body: In<typeof CreateInvitationBody>) =>
  requestAs(CreatedInvitation, '/invitations', { method: 'POST', body });
export const revokeInvitation = (id: string) => request(`/invitations/${id}`, { method: 'DELETE' });
/** What the invitation page shows: workspace, role, inviter; the address only when it may. */
export const lookupInvitation = (token: string) =>
  requestAs(InvitationPreview, '/invitations/lookup', {
    method: 'POST',
    body: { token },
    noTenant: true,
  });
export const acceptInvitation = (token: string) =>
  requestAs(z.object({ tenantId: z.string() }).loose(), '/invitations/accept', {
    method: 'POST',
    body: { token },
    noTenant: true,
  });

// API keys
export const listApiKeys = (q: PageQuery = {}) =>
  requestAs(Page(ApiKey), '/api-keys', { query: { limit: 200, ...q } });
export const createApiKey = (body: In<typeof CreateApiKeyBody>) =>
  requestAs(CreatedApiKey, '/api-keys', { method: 'POST', body });
export const revokeApiKey = (id: string) => request(`/api-keys/${id}`, { method: 'DELETE' });

export type MeReplyT = z.infer<typeof MeReply>;
export type MemberT = z.infer<typeof Member>;
export type InvitationT = z.infer<typeof Invitation>;
export type ApiKeyT = z.infer<typeof ApiKey>;
export type TenantSettingsT = z.infer<typeof TenantSettings>;

// Sites, services, metrics, reports

export const listSites = (q: PageQuery = {}) =>
  requestAs(Page(Site), '/sites', { query: { limit: 200, ...q } });
export const getSite = (id: string) => requestAs(Site, `/sites/${id}`);
export const createSite = (body: In<typeof CreateSiteBody>) =>
  requestAs(Site, '/sites', { method: 'POST', body });
export const updateSite = (id: string, body: In<typeof UpdateSiteBody>) =>
  requestAs(Site, `/sites/${id}`, { method: 'PATCH', body });
export const deleteSite = (id: string) => request(`/sites/${id}`, { method: 'DELETE' });

export const listServices = (q: PageQuery & { siteId?: string } = {}) =>
  requestAs(Page(Service), '/services', { query: { limit: 200, ...q } });
export const createService = (body: In<typeof CreateServiceBody>) =>
  requestAs(Service, '/services', { method: 'POST', body });
export const updateService = (id: string, body: In<typeof UpdateServiceBody>) =>
  requestAs(Service, `/services/${id}`, { method: 'PATCH', body });
export const deleteService = (id: string) => request(`/services/${id}`, { method: 'DELETE' });
export const listTimeEntries = (serviceId: string, q: PageQuery = {}) =>
  requestAs(Page(TimeEntry), `/services/${serviceId}/time-entries`, {
    query: { limit: 200, ...q },
  });
export const createTimeEntry = (serviceId: string, body: In<typeof CreateTimeEntryBody>) =>
  requestAs(TimeEntry, `/services/${serviceId}/time-entries`, { method: 'POST', body });
export const deleteTimeEntry = (serviceId: string, entryId: string) =>
  request(`/services/${serviceId}/time-entries/${entryId}`, { method: 'DELETE' });

export const listMetrics = (
  siteId: string,
  q: { from?: string; to?: string; limit?: number; cursor?: string | null } = {},
) => requestAs(Page(MetricDay), `/sites/${siteId}/metrics`, { query: q });
export const importMetricsJson = (siteId: string, rows: In<typeof MetricRow>[]) =>
  requestAs(ImportMetricsResult, `/sites/${siteId}/metrics`, { method: 'POST', body: { rows } });
/** CSV or a Search Console export, uploaded as is with progress. */
export const importMetricsFile = async (
  siteId: string,
  file: Blob | string,
  onProgress: (f: number) => void,
) =>
  ImportMetricsResult.parse(
    await uploadWithProgress(`/sites/${siteId}/metrics`, file, 'text/csv', onProgress),
  );

export interface ReportQuery {
  from: string;
  to: string;
  groupBy: 'day' | 'week' | 'month' | 'site';
  siteId?: readonly string[];
}
/** The same report as a CSV file (the API's `format=csv`). */
export const downloadRoiReport = (q: ReportQuery) =>
  download(
    '/reports/roi',
    { ...(q as unknown as Query), format: 'csv' },
    `roi-${q.from}-${q.to}.csv`,
  );
export const getRoiReport = (q: ReportQuery, signal?: AbortSignal) =>
  requestAs(RoiReport, '/reports/roi', { query: q as unknown as Query, signal });

export type SiteT = z.infer<typeof Site>;
export type ServiceT = z.infer<typeof Service>;
export type TimeEntryT = z.infer<typeof TimeEntry>;
export type RoiReportT = z.infer<typeof RoiReport>;
export type ImportResultT = z.infer<typeof ImportMetricsResult>;

// Billing

export const listPlans = () => requestAs(PlanList, '/billing/plans');
export const getSubscription = (signal?: AbortSignal) =>
  requestAs(BillingSubscription, '/billing/subscription', { signal });
export const listInvoices = (q: PageQuery = {}) =>
  requestAs(Page(Invoice), '/billing/invoices', { query: { limit: 50, ...q } });
export const startCheckout = (plan: string) =>
  requestAs(CheckoutSession, '/billing/checkout', { method: 'POST', body: { plan } });
export const openPortal = () =>
  requestAs(PortalSession, '/billing/portal', { method: 'POST', body: {} });

// Audit log
export interface AuditFilters {
  action?: string;
  actorId?: string;
  targetType?: string;
  targetId?: string;
  from?: string;
  to?: string;
}
export const listAuditEvents = (filters: AuditFilters, q: PageQuery = {}) =>
  requestAs(AuditLogPage, '/audit-logs', { query: { ...filters, limit: 50, ...q } });
export const verifyAuditChain = () => requestAs(AuditVerifyReply, '/audit-logs/verify');
export const exportAuditLog = (format: 'csv' | 'ndjson', filters: AuditFilters) =>
  download('/audit-logs/export', { ...filters, format }, `audit-log.${format}`);

export type PlanT = z.infer<typeof Plan>;
export type SubscriptionT = z.infer<typeof BillingSubscription>;
export type InvoiceT = z.infer<typeof Invoice>;
export type AuditEventT = z.infer<typeof AuditEvent>;
