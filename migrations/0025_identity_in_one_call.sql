-- Who is asking, read in one round trip. The identity read of every request (0024) was a
-- transaction of its own: BEGIN, the scope's set_config, the SELECT, COMMIT, four round trips
-- to the server for one indexed lookup, which made a cached report cost four times its own work.
-- These functions take the secret's hash, switch the statement's implicit transaction to the
-- unprivileged app role with that hash named (as inTransaction's scope does), and run the same
-- query under the same row-level security. They are SECURITY INVOKER: a definer function could
-- not change role, and the caller's own privileges are what the query must run with. Called
-- outside any transaction, each is one statement in autocommit, so the settings end with it.

CREATE FUNCTION app_session_identity(p_session_hash text, p_tenant_id uuid, p_subdomain text)
RETURNS TABLE (
  user_id uuid, email text, user_name text, expires_at timestamptz, role text,
  t_id uuid, t_name text, t_subdomain text, t_plan text, t_currency char(3), t_timezone text,
  t_branding jsonb, t_created_at timestamptz, t_billing_status text,
  t_billing_grace_ends_at timestamptz
)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('role', 'roi_app', true),
          set_config('app.tenant_id', '', true),
          set_config('app.user_id', '', true),
          set_config('app.worker_scope', '', true),
          set_config('app.key_hash', '', true),
          set_config('app.session_hash', p_session_hash, true);
  RETURN QUERY
    SELECT u.id, u.email, u.name, s.expires_at, m.role,
           t.id, t.name, t.subdomain, t.plan, t.currency, t.timezone, t.branding, t.created_at,
           t.billing_status, t.billing_grace_ends_at
    FROM sessions s
    JOIN users u ON u.id = s.user_id
    LEFT JOIN tenants t ON t.id = p_tenant_id OR t.subdomain = p_subdomain
    LEFT JOIN memberships m ON m.tenant_id = t.id AND m.user_id = s.user_id
    WHERE s.token_hash = p_session_hash AND s.revoked_at IS NULL AND s.expires_at > now();
END
$$;

CREATE FUNCTION app_api_key_identity(p_key_hash text)
RETURNS TABLE (
  key_id uuid, key_name text, key_role text, created_by uuid, creator_role text,
  t_id uuid, t_name text, t_subdomain text, t_plan text, t_currency char(3), t_timezone text,
  t_branding jsonb, t_created_at timestamptz, t_billing_status text,
  t_billing_grace_ends_at timestamptz
)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('role', 'roi_app', true),
          set_config('app.tenant_id', '', true),
          set_config('app.user_id', '', true),
          set_config('app.worker_scope', '', true),
          set_config('app.session_hash', '', true),
          set_config('app.key_hash', p_key_hash, true);
  RETURN QUERY
    SELECT k.id, k.name, k.role, k.created_by, m.role,
           t.id, t.name, t.subdomain, t.plan, t.currency, t.timezone, t.branding, t.created_at,
           t.billing_status, t.billing_grace_ends_at
    FROM api_keys k
    JOIN tenants t ON t.id = k.tenant_id
    LEFT JOIN memberships m ON m.tenant_id = k.tenant_id AND m.user_id = k.created_by
    WHERE k.key_hash = p_key_hash AND k.revoked_at IS NULL;
END
$$;
