-- API keys and invitations are found by the hash of their secret before the tenant is known.
-- 0001 did that through SECURITY DEFINER functions, which see past FORCE ROW LEVEL SECURITY only
-- when the owner is a superuser or has BYPASSRLS: not so on managed PostgreSQL, where every key
-- would then look unknown. Instead the policies also admit the one row whose hash the transaction
-- names in app.key_hash or app.invitation_hash: a caller that holds the secret.
DROP POLICY api_keys_isolation ON api_keys;
CREATE POLICY api_keys_isolation ON api_keys
  USING (tenant_id = app_tenant_id() OR key_hash = nullif(current_setting('app.key_hash', true), ''))
  WITH CHECK (tenant_id = app_tenant_id());

DROP POLICY invitations_isolation ON invitations;
CREATE POLICY invitations_isolation ON invitations
  USING (tenant_id = app_tenant_id() OR token_hash = nullif(current_setting('app.invitation_hash', true), ''))
  WITH CHECK (tenant_id = app_tenant_id());

DROP FUNCTION find_api_key(text);
DROP FUNCTION find_invitation(text);
