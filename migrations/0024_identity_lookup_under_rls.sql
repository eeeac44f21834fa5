-- Every request reads who is asking, its tenant and its role in one query, in its own
-- transaction, before the tenant is known (no cache decides who may do what). Like the key
-- lookup of 0005, the memberships policy admits the rows that the request's own secret names:
-- the memberships of the user whose live session hash is in app.session_hash, and the membership
-- of the creator of the live API key whose hash is in app.key_hash (a key acts with at most its
-- creator's current role). Uncorrelated sub-selects: each runs once per statement, and only when
-- the tenant and user settings have not already admitted the row.
ALTER POLICY memberships_isolation ON memberships
  USING (
    tenant_id = app_tenant_id()
    OR user_id = app_user_id()
    OR user_id = (
      SELECT s.user_id FROM sessions s
      WHERE s.token_hash = nullif(current_setting('app.session_hash', true), '')
        AND s.revoked_at IS NULL AND s.expires_at > now()
    )
    OR (tenant_id, user_id) IN (
      SELECT k.tenant_id, k.created_by FROM api_keys k
      WHERE k.key_hash = nullif(current_setting('app.key_hash', true), '')
        AND k.revoked_at IS NULL
    )
  )
  WITH CHECK (tenant_id = app_tenant_id());
