import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Tx } from '../../data/database.ts';
import type { Selectable } from 'kysely';
import type { GoogleConnectionsTable } from '../../data/schema.ts';
import { AppError, notFound } from '../../errors.ts';
import { afterCursor, paginate } from '../../lib/cursor.ts';
import { openSecret, sealSecret } from '../../infra/encryption-key.ts';
import type { Integration } from '../../../shared/schemas/integrations.ts';
import {
  authorizationUrl,
  createPkcePair,
  type ConnectedAccount,
  type GoogleSettings,
} from './google-api.ts';

/** What the Google connections need: where Google is, and the key that seals tokens. */
export interface GoogleDeps {
  settings: GoogleSettings;
  /** AES-256-GCM key (ENCRYPTION_KEY or DATA_DIR's): `sealSecret`/`openSecret`. */
  encryptionKey: Buffer;
}

/** How long a connection under way may take at Google's consent page. */
export const STATE_TTL_MS = 10 * 60_000;

const hashOf = (value: string) => createHash('sha256').update(value).digest('hex');
/** The sealed token is bound to its row: copied to another row, it does not open. */
const tokenContext = (tenantId: string, id: string) => `google-refresh-token:${tenantId}:${id}`;
const verifierContext = (tenantId: string, stateHash: string) =>
  `google-pkce:${tenantId}:${stateHash}`;

type ConnectionRow = Selectable<GoogleConnectionsTable>;

/** A sealed value of ours that does not open: another key (ENCRYPTION_KEY changed) or tampering. */
function openSealed(deps: GoogleDeps, sealed: string, context: string): string {
  const plain = openSecret(deps.encryptionKey, sealed, context);
  if (plain === null) throw new Error('a sealed Google secret does not open with this key');
  return plain;
}

function presentIntegration(row: ConnectionRow): Integration {
  return {
    id: row.id,
    provider: 'google',
    account: row.account,
    status: row.status,
    lastError: row.last_error,
    createdAt: row.created_at.toISOString(),
  };
}

const notConnected = () => notFound('Integration');

/**
 * Starts a connection: a single-use state bound to the workspace and the user (stored by hash,
 * with the PKCE verifier sealed) and Google's authorize URL carrying it. The state names its
 * workspace (`<tenant id>.<random>`) because Google's redirect brings no workspace back; the
 * random part is what makes it unguessable.
 */
export async function startGoogleConnection(
  tx: Tx,
  deps: GoogleDeps,
  tenantId: string,
  userId: string,
): Promise<{ authorizationUrl: string }> {
  const state = `${tenantId}.${randomBytes(32).toString('base64url')}`;
  const stateHash = hashOf(state);
  const pkce = await createPkcePair();
  await tx
    .deleteFrom('google_oauth_states')
    .where('tenant_id', '=', tenantId)
    .where('expires_at', '<', new Date())
    .execute();
  await tx
    .insertInto('google_oauth_states')
    .values({
      tenant_id: tenantId,
      state_hash: stateHash,
      user_id: userId,
      code_verifier_sealed: sealSecret(
        deps.encryptionKey,
        pkce.verifier,
        verifierContext(tenantId, stateHash),
      ),
      expires_at: new Date(Date.now() + STATE_TTL_MS),
    })
    .execute();
  return { authorizationUrl: authorizationUrl(deps.settings, state, pkce.challenge) };
}

/** The workspace a state names, or null when it is not one of ours. */
export function tenantOfState(state: string): string | null {
  const match = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.[\w-]{43}$/.exec(
    state,
  );
  return match ? match[1]! : null;
}

const badState = () =>
  new AppError('validation', 'This connection attempt is unknown, used or expired; start again', {
    errors: [{ path: 'query.state', message: 'unknown, already used or expired' }],
  });

/**
 * Takes a state for the callback: it must exist, be unexpired and belong to this user, who must
 * still manage the workspace; it is deleted (used once) and its PKCE verifier returned. Any
 * failure is the same 400 and uses nothing.
 */
export async function consumeOAuthState(
  tx: Tx,
  deps: GoogleDeps,
  tenantId: string,
  state: string,
  userId: string,
): Promise<string> {
  const stateHash = hashOf(state);
  const row = await tx
    .selectFrom('google_oauth_states')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('state_hash', '=', stateHash)
    .forUpdate()
    .executeTakeFirst();
  if (!row || row.user_id !== userId || row.expires_at.getTime() <= Date.now()) throw badState();
  const member = await tx
    .selectFrom('memberships')
    .select('role')
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (!member || (member.role !== 'owner' && member.role !== 'admin')) throw badState();
  await tx
    .deleteFrom('google_oauth_states')
    .where('tenant_id', '=', tenantId)
    .where('state_hash', '=', stateHash)
    .execute();
  return openSealed(deps, row.code_verifier_sealed, verifierContext(tenantId, stateHash));
}

/**
 * Stores a connected account: the same Google account again reactivates its connection (same
 * id, new token, active); otherwise a new one.
 */
export async function saveGoogleConnection(
  tx: Tx,
  deps: GoogleDeps,
  tenantId: string,
  userId: string,
  account: ConnectedAccount,
): Promise<{ integration: Integration; before: Integration | null }> {
  const existing = await tx
    .selectFrom('google_connections')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('subject', '=', account.subject)
    .forUpdate()
    .executeTakeFirst();
  const id = existing?.id ?? randomUUID();
  const sealed = sealSecret(deps.encryptionKey, account.refreshToken, tokenContext(tenantId, id));
  let row: ConnectionRow;
  if (existing) {
    row = await tx
      .updateTable('google_connections')
      .set({
        account: account.email,
        status: 'active',
        last_error: null,
        refresh_token_sealed: sealed,
        updated_at: new Date(),
      })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  } else {
    row = await tx
      .insertInto('google_connections')
      .values({
        tenant_id: tenantId,
        id,
        subject: account.subject,
        account: account.email,
        status: 'active',
        last_error: null,
        refresh_token_sealed: sealed,
        created_by: userId,
        // Millisecond precision, as the list cursor carries it (now() would add microseconds).
        created_at: new Date(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }
  return {
    integration: presentIntegration(row),
    before: existing ? presentIntegration(existing) : null,
  };
}

/** The workspace's connections, oldest first, by cursor. */
export async function listGoogleConnections(
  tx: Tx,
  tenantId: string,
  page: { limit: number; cursor?: string },
): Promise<{ data: Integration[]; nextCursor: string | null }> {
  let q = tx
    .selectFrom('google_connections')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at')
    .orderBy('id')
    .limit(page.limit + 1);
  if (page.cursor)
    q = q.where(afterCursor(page.cursor, ['created_at', 'timestamp'], ['id', 'uuid'], 'asc'));
  const result = paginate(await q.execute(), page.limit, (r) => [r.created_at.toISOString(), r.id]);
  return { data: result.data.map(presentIntegration), nextCursor: result.nextCursor };
}

/** A connection with its refresh token opened (for a call to Google outside the transaction). */
export async function readGoogleConnection(
  tx: Tx,
  deps: GoogleDeps,
  tenantId: string,
  id: string,
): Promise<{ integration: Integration; refreshToken: string }> {
  const row = await tx
    .selectFrom('google_connections')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw notConnected();
  return {
    integration: presentIntegration(row),
    refreshToken: openSealed(deps, row.refresh_token_sealed, tokenContext(tenantId, row.id)),
  };
}

/** 409 while a connection is broken: no call goes to Google for it until it is reconnected. */
export function assertActive(integration: Integration): void {
  if (integration.status !== 'active') {
    throw new AppError(
      'conflict',
      `The Google connection ${integration.account} is broken (${integration.lastError ?? 'access revoked'}); reconnect it first`,
    );
  }
}

/** Deletes a connection; its sites are unlinked (their stored metrics stay). */
export async function deleteGoogleConnection(
  tx: Tx,
  tenantId: string,
  id: string,
): Promise<{ integration: Integration; unlinkedSites: string[] }> {
  const sites = await tx
    .selectFrom('site_sources')
    .select('site_id')
    .where('tenant_id', '=', tenantId)
    .where('connection_id', '=', id)
    .execute();
  // A sync under way for those sites ends: nothing more is read for them.
  if (sites.length > 0) {
    await tx
      .updateTable('site_syncs')
      .set({ status: 'idle', lease_owner: null, lease_until: null, updated_at: new Date() })
      .where('tenant_id', '=', tenantId)
      .where(
        'site_id',
        'in',
        sites.map((s) => s.site_id),
      )
      .where('status', 'in', ['queued', 'running'])
      .execute();
  }
  const row = await tx
    .deleteFrom('google_connections')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw notConnected();
  return { integration: presentIntegration(row), unlinkedSites: sites.map((s) => s.site_id) };
}

/**
 * Marks a connection broken (Google answered `invalid_grant`): its sites' syncs end `failed`
 * with the error, and nothing is asked of Google for it until it is reconnected. Returns false
 * when it was already broken (or is gone), so the change is audited once.
 */
export async function markConnectionBroken(
  tx: Tx,
  tenantId: string,
  id: string,
  error: string,
): Promise<boolean> {
  const lastError = `Google refused the connection's access (${error}); reconnect the account`;
  const changed = await tx
    .updateTable('google_connections')
    .set({ status: 'broken', last_error: lastError, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('status', '=', 'active')
    .executeTakeFirst();
  await sql`
    UPDATE site_syncs y SET status = 'failed', last_error = ${lastError}, lease_owner = NULL,
           lease_until = NULL, updated_at = now()
    FROM site_sources s
    WHERE s.tenant_id = ${tenantId} AND s.connection_id = ${id}
      AND y.tenant_id = s.tenant_id AND y.site_id = s.site_id`.execute(tx);
  return Number(changed.numUpdatedRows) > 0;
}
