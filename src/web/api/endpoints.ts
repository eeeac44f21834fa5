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
  SiteAttribution,
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
import {
  Integration,
  IntegrationProperties,
  SearchTermsResult,
  SiteSources,
  StartGoogleConnectionResult,
  SyncState,
} from '../../shared/schemas/integrations.ts';
import type {
  PutSiteSourcesBody,
  StartSyncBody,
  SearchTerm,
} from '../../shared/schemas/integrations.ts';
import { download, request, requestAs, uploadWithProgress, type Query } from './http.ts';
import { Goal, GoalProgressList } from '../../shared/schemas/goals.ts';
import type { CreateGoalBody, UpdateGoalBody } from '../../shared/schemas/goals.ts';
import { ApiError } from './problem.ts';

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
/** Sets how a site's revenue and conversions become credited value (contract: attribution). */
export const updateSiteAttribution = (id: string, attribution: SiteAttribution) =>
  requestAs(Site, `/sites/${id}`, { method: 'PATCH', body: { attribution } });
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
  /** The period to compare with: the same number of days just before, or a year earlier. */
  compare?: 'previous' | 'year' | 'none';
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

// Goals
export const listGoals = () => requestAs(Page(Goal), '/goals', { query: { limit: 200 } });
export const createGoal = (body: In<typeof CreateGoalBody>) =>
  requestAs(Goal, '/goals', { method: 'POST', body });
export const updateGoal = (id: string, body: In<typeof UpdateGoalBody>) =>
  requestAs(Goal, `/goals/${id}`, { method: 'PATCH', body });
export const deleteGoal = (id: string) => request(`/goals/${id}`, { method: 'DELETE' });
export const getGoalProgress = (signal?: AbortSignal) =>
  requestAs(GoalProgressList, '/goals/progress', { signal });

export type SiteT = z.infer<typeof Site>;
export type ServiceT = z.infer<typeof Service>;
export type TimeEntryT = z.infer<typeof TimeEntry>;
export type RoiReportT = z.infer<typeof RoiReport>;
export type SiteWithAttributionT = z.infer<typeof Site>;
export type GoalT = z.infer<typeof Goal>;
export type GoalProgressT = z.infer<typeof GoalProgressList>['data'][number];
export type Attribution = SiteAttribution;
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

// Google connections (Search Console and GA4)
export const listIntegrations = (q: PageQuery = {}, signal?: AbortSignal) =>
  requestAs(Page(Integration), '/integrations', { query: { limit: 200, ...q }, signal });
/** Starts a connection: the answer is Google's consent page, where the browser goes next. */
export const startGoogleConnection = () =>
  requestAs(StartGoogleConnectionResult, '/integrations/google', { method: 'POST', body: {} });
export const disconnectIntegration = (id: string) =>
  request(`/integrations/${id}`, { method: 'DELETE' });
export const listIntegrationProperties = (id: string, signal?: AbortSignal) =>
  requestAs(IntegrationProperties, `/integrations/${id}/properties`, { signal });
/** The site's linked properties, or null when it has none (404). */
export const getSiteSources = async (siteId: string, signal?: AbortSignal) => {
  try {
    return await requestAs(SiteSources, `/sites/${siteId}/sources`, { signal });
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
};
export const putSiteSources = (siteId: string, body: In<typeof PutSiteSourcesBody>) =>
  requestAs(SiteSources, `/sites/${siteId}/sources`, { method: 'PUT', body });
export const deleteSiteSources = (siteId: string) =>
  request(`/sites/${siteId}/sources`, { method: 'DELETE' });
export const startSiteSync = (siteId: string, body: In<typeof StartSyncBody> = {}) =>
  requestAs(SyncState, `/sites/${siteId}/sync`, { method: 'POST', body });
export const getSiteSync = (siteId: string, signal?: AbortSignal) =>
  requestAs(SyncState, `/sites/${siteId}/sync`, { signal });
export const listSearchTerms = (
  siteId: string,
  q: { from: string; to: string; dimension: 'query' | 'page'; limit?: number },
  signal?: AbortSignal,
) => requestAs(SearchTermsResult, `/sites/${siteId}/search-terms`, { query: q, signal });

export type IntegrationT = z.infer<typeof Integration>;
export type IntegrationPropertiesT = z.infer<typeof IntegrationProperties>;
export type SiteSourcesT = z.infer<typeof SiteSources>;
export type SyncStateT = z.infer<typeof SyncState>;
export type SearchTermT = z.infer<typeof SearchTerm>;
