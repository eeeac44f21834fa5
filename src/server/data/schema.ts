/**
 * Kysely table types. Each migration that adds or changes a table updates this file.
 * Column types are what the driver returns (see database.ts: bigint/numeric → number, date → string).
 */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json = ColumnType<unknown, string | undefined, string>;

export type Role = 'owner' | 'admin' | 'member' | 'client';

export interface SchemaMigrationsTable {
  version: string;
  name: string;
  checksum: string;
  applied_at: Generated<Date>;
}

export interface UsersTable {
  id: string;
  email: string;
  email_normalized: string;
  name: string;
  password_hash: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SessionsTable {
  token_hash: string;
  user_id: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
  ip: string | null;
  user_agent: string | null;
}

export interface TenantsTable {
  id: string;
  name: string;
  subdomain: string;
  plan: Generated<string>;
  currency: Generated<string>;
  timezone: Generated<string>;
  branding: Json;
  stripe_customer_id: string | null;
  billing_status: Generated<string>;
  billing_grace_ends_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface IdempotencyKeysTable {
  scope: string;
  key: string;
  request_hash: string;
  status: number;
  body: Json | null;
  created_at: Timestamp;
}

export interface SecurityEventsTable {
  id: string;
  occurred_at: Timestamp;
  kind: string;
  email: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
}

export interface MembershipsTable {
  tenant_id: string;
  user_id: string;
  role: Role;
  created_at: Timestamp;
}

export interface SitesTable {
  tenant_id: string;
  id: string;
  name: string;
  domain: string;
  client_name: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** Attribution (0030): shares to six decimals, conversion value in minor units. */
  revenue_share: Generated<number>;
  conversion_value: Generated<number>;
  gross_margin: Generated<number>;
  baseline_from: string | null;
  baseline_to: string | null;
  /** Sum of revenue + conversions × conversion_value over the baseline's days. */
  baseline_gross: Generated<number>;
}

export interface SiteGrantsTable {
  tenant_id: string;
  user_id: string;
  site_id: string;
  created_at: Timestamp;
}

export interface InvitationsTable {
  tenant_id: string;
  id: string;
  email: string;
  email_normalized: string;
  role: Role;
  site_ids: ColumnType<string[], string[] | undefined, string[]>;
  token_hash: string;
  invited_by: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  accepted_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface ApiKeysTable {
  tenant_id: string;
  id: string;
  name: string;
  role: Role;
  key_hash: string;
  key_prefix: string;
  created_by: string | null;
  created_at: Timestamp;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface AuditChainHeadsTable {
  tenant_id: string;
  last_seq: number;
  last_hash: string;
}

export interface AuditEventsTable {
  tenant_id: string;
  seq: number;
  id: string;
  occurred_at: Timestamp;
  actor_type: 'user' | 'api_key' | 'system' | 'stripe';
  actor_id: string | null;
  actor_label: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  changes: Json | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  prev_hash: string;
  hash: string;
}

/** The last pruned event of a tenant's audit chain (written by prune_audit_events()). */
export interface AuditCheckpointsTable {
  tenant_id: string;
  pruned_through_seq: number;
  last_hash: string;
  pruned_events: Generated<number>;
  pruned_at: Generated<Date>;
}

/** How far a tenant's audit chain was shipped to MongoDB. */
export interface AuditRelayCursorsTable {
  tenant_id: string;
  shipped_seq: Generated<number>;
  shipped_checkpoint_seq: Generated<number>;
  updated_at: Generated<Date>;
}

export interface AuditRetentionPoliciesTable {
  plan: string;
  retention_days: number | null;
}

export interface ServicesTable {
  tenant_id: string;
  id: string;
  site_id: string;
  name: string;
  category: string;
  billing: 'monthly' | 'one_time' | 'hourly';
  amount: number;
  start_date: string;
  end_date: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface TimeEntriesTable {
  tenant_id: string;
  id: string;
  service_id: string;
  date: string;
  hours: number;
  note: string | null;
  created_at: Timestamp;
}

export interface MetricsDailyTable {
  tenant_id: string;
  site_id: string;
  day: string;
  sessions: number | null;
  conversions: number | null;
  revenue: number | null;
  clicks: number | null;
  impressions: number | null;
  position: number | null;
  /** The day's credited value, rounded, under the site's current attribution (0080). */
  value: number;
}

/** The sums a workspace rollup holds for its day or month (0090). */
interface WorkspaceSums {
  tenant_id: string;
  sessions: number;
  conversions: number;
  revenue: number;
  clicks: number;
  impressions: number;
  position_weighted: number;
  position_impressions: number;
  value: number;
}

/** Sums of every site of a workspace per day (0090), rebuilt by the worker from metrics_daily. */
export interface WorkspaceMetricsDailyTable extends WorkspaceSums {
  day: string;
}

/** Sums of every site of a workspace per month (0090), with the OR of the sites' day masks. */
export interface WorkspaceMetricsMonthlyTable extends WorkspaceSums {
  month: string;
  days_mask: number;
}

/** A month of a workspace whose rollups miss a committed change (0090); append-only. */
export interface WorkspaceRollupStaleTable {
  tenant_id: string;
  id: Generated<number>;
  month: string;
  created_at: Generated<Date>;
}

export interface MetricsMonthlyTable {
  tenant_id: string;
  site_id: string;
  month: string;
  sessions: number;
  conversions: number;
  revenue: number;
  clicks: number;
  impressions: number;
  position_weighted: number;
  position_impressions: number;
  /** The month's credited value: per-day rounded values under the site's attribution (0030). */
  value: Generated<number>;
  /** Bit d−1 set when day d has a row. */
  days_mask: Generated<number>;
}

/** Goals per site or workspace (0031). */
export interface GoalsTable {
  tenant_id: string;
  id: string;
  site_id: string | null;
  metric: 'roi' | 'value' | 'conversions';
  period: 'month' | 'quarter';
  target: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** The workspace's uploaded logo (migrations/0060). */
export interface TenantLogosTable {
  tenant_id: string;
  content_type: string;
  bytes: Uint8Array;
  sha256: string;
  updated_at: Timestamp;
}

/** A shared report link (migrations/0060): found by the token's hash, the token kept encrypted. */
export interface ReportLinksTable {
  tenant_id: string;
  id: string;
  name: string;
  site_ids: ColumnType<string[], string[], string[]>;
  period: Json;
  token_hash: string;
  token_encrypted: string;
  password_hash: string | null;
  expires_at: Timestamp | null;
  revoked_at: Timestamp | null;
  views: Generated<number>;
  last_viewed_at: Timestamp | null;
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Stripe webhook inbox (global: the tenant is known only after processing). */
export interface StripeWebhookEventsTable {
  id: string;
  type: string;
  stripe_created: Timestamp;
  livemode: Generated<boolean>;
  payload: Json;
  source: Generated<'webhook' | 'reconcile'>;
  status: Generated<'pending' | 'processed' | 'ignored' | 'dead'>;
  attempts: Generated<number>;
  last_error: string | null;
  resolved_tenant_id: string | null;
  object_key: string | null;
  received_at: Generated<Date>;
  processed_at: Timestamp | null;
  /**
   * Until when the sweeper leaves the row alone: a worker's lease while it processes the row, or
   * when the next try of a failed row is due (null: never taken).
   */
  retry_at: Timestamp | null;
}

export interface BillingSubscriptionsTable {
  tenant_id: string;
  id: string;
  customer_id: string;
  status: string;
  price_id: string | null;
  plan: string;
  current_period_start: Timestamp | null;
  current_period_end: Timestamp | null;
  cancel_at_period_end: boolean;
  canceled_at: Timestamp | null;
  past_due_since: Timestamp | null;
  stripe_created: Timestamp;
  synced_at: Timestamp;
}

export interface BillingInvoicesTable {
  tenant_id: string;
  id: string;
  subscription_id: string | null;
  number: string | null;
  status: string;
  amount_due: number;
  amount_paid: number;
  currency: string;
  hosted_invoice_url: string | null;
  period_start: Timestamp | null;
  period_end: Timestamp | null;
  stripe_created: Timestamp;
  updated_at: Timestamp;
}

/** A Google account connected to a workspace; the refresh token only sealed (migrations/0040). */
export interface GoogleConnectionsTable {
  tenant_id: string;
  id: string;
  subject: string;
  account: string;
  status: 'active' | 'broken';
  last_error: string | null;
  refresh_token_sealed: string;
  created_by: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** A connection under way: single-use state (by hash) with its sealed PKCE verifier. */
export interface GoogleOauthStatesTable {
  tenant_id: string;
  state_hash: string;
  user_id: string;
  code_verifier_sealed: string;
  expires_at: Date;
}

/** The Search Console and GA4 properties a site is linked to. */
export interface SiteSourcesTable {
  tenant_id: string;
  site_id: string;
  connection_id: string;
  search_console_property: string | null;
  analytics_property_id: string | null;
  organic_only: boolean;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** A site's sync: range, progress, lease and outcome. */
export interface SiteSyncsTable {
  tenant_id: string;
  site_id: string;
  status: 'idle' | 'queued' | 'running' | 'failed';
  range_from: string | null;
  range_to: string | null;
  next_day: string | null;
  done: number;
  total: number;
  last_synced_at: Date | null;
  synced_through: string | null;
  last_error: string | null;
  lease_owner: string | null;
  lease_until: Date | null;
  requested_at: Date | null;
  updated_at: Generated<Date>;
}

/** Search terms: dictionary, day rows and monthly rollups (dimension 1 query, 2 page). */
export interface SearchTermKeysTable {
  tenant_id: string;
  site_id: string;
  dimension: number;
  id: number;
  key: string;
}

export interface SearchTermsDailyTable {
  tenant_id: string;
  site_id: string;
  dimension: number;
  day: string;
  key_id: number;
  clicks: number;
  impressions: number;
  position_sum: number;
}

export interface SearchTermsMonthlyTable {
  tenant_id: string;
  site_id: string;
  dimension: number;
  month: string;
  key_id: number;
  clicks: number;
  impressions: number;
  position_sum: number;
}

export interface AnnotationsTable {
  tenant_id: string;
  id: string;
  site_id: string | null;
  date: string;
  title: string;
  note: string | null;
  created_by: string | null;
  created_at: Timestamp;
}

export interface OutboxMessagesTable {
  tenant_id: string;
  id: string;
  kind: 'report' | 'invitation' | 'password_reset';
  to_addresses: string[];
  from_name: string;
  subject: string;
  text_body: string;
  html_body: string;
  attachments: Json;
  message_id: string;
  status: Generated<'queued' | 'sent' | 'failed'>;
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  locked_until: Timestamp | null;
  delivery_id: string | null;
  error: string | null;
  created_at: Timestamp;
  sent_at: Timestamp | null;
}

export interface SystemOutboxMessagesTable {
  id: string;
  kind: 'password_reset';
  user_id: string | null;
  to_addresses: string[];
  from_name: string;
  subject: string;
  text_body: string;
  html_body: string;
  attachments: Json;
  message_id: string;
  status: Generated<'queued' | 'sent' | 'failed'>;
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  locked_until: Timestamp | null;
  error: string | null;
  created_at: Timestamp;
  sent_at: Timestamp | null;
}

export interface PasswordResetTokensTable {
  token_hash: string;
  user_id: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  ip: string | null;
}

export interface ReportSchedulesTable {
  tenant_id: string;
  id: string;
  name: string;
  site_ids: string[];
  recipients: string[];
  frequency: 'weekly' | 'monthly';
  day_of_week: number | null;
  day_of_month: number | null;
  hour: number;
  period: Json;
  attach_pdf: boolean;
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ReportDeliveriesTable {
  tenant_id: string;
  id: string;
  schedule_id: string;
  period_key: string;
  trigger: 'schedule' | 'manual';
  status: Generated<'pending' | 'sent' | 'failed'>;
  recipients: string[];
  locked_until: Timestamp | null;
  attempts: Generated<number>;
  outbox_id: string | null;
  error: string | null;
  created_at: Timestamp;
  sent_at: Timestamp | null;
}

export interface DB {
  schema_migrations: SchemaMigrationsTable;
  users: UsersTable;
  sessions: SessionsTable;
  tenants: TenantsTable;
  idempotency_keys: IdempotencyKeysTable;
  security_events: SecurityEventsTable;
  memberships: MembershipsTable;
  sites: SitesTable;
  site_grants: SiteGrantsTable;
  invitations: InvitationsTable;
  api_keys: ApiKeysTable;
  audit_chain_heads: AuditChainHeadsTable;
  audit_events: AuditEventsTable;
  audit_checkpoints: AuditCheckpointsTable;
  audit_relay_cursors: AuditRelayCursorsTable;
  audit_retention_policies: AuditRetentionPoliciesTable;
  services: ServicesTable;
  time_entries: TimeEntriesTable;
  metrics_daily: MetricsDailyTable;
  metrics_monthly: MetricsMonthlyTable;
  workspace_metrics_daily: WorkspaceMetricsDailyTable;
  workspace_metrics_monthly: WorkspaceMetricsMonthlyTable;
  workspace_rollup_stale: WorkspaceRollupStaleTable;
  tenant_logos: TenantLogosTable;
  report_links: ReportLinksTable;
  goals: GoalsTable;
  stripe_webhook_events: StripeWebhookEventsTable;
  billing_subscriptions: BillingSubscriptionsTable;
  billing_invoices: BillingInvoicesTable;
  google_connections: GoogleConnectionsTable;
  google_oauth_states: GoogleOauthStatesTable;
  site_sources: SiteSourcesTable;
  site_syncs: SiteSyncsTable;
  search_term_keys: SearchTermKeysTable;
  search_terms_daily: SearchTermsDailyTable;
  search_terms_monthly: SearchTermsMonthlyTable;
  annotations: AnnotationsTable;
  outbox_messages: OutboxMessagesTable;
  system_outbox_messages: SystemOutboxMessagesTable;
  password_reset_tokens: PasswordResetTokensTable;
  report_schedules: ReportSchedulesTable;
  report_deliveries: ReportDeliveriesTable;
}
