-- Who is asking is read on every request (0025). With Redis, each API process keeps what it read
-- in its level-1 cache under the lease protocol (src/server/infra/cache.ts), so a cached report
-- answers without a database round trip. That copy may only live while nothing it was read from
-- has changed: every change to these rows must drop it, on every process, before the change
-- answers. The application does that after commit for the namespaces a transaction declares in
-- app.identity_changes (src/server/data/identity-changes.ts):
--   u:<user id>    a user's sessions, the user, their memberships;
--   t:<tenant id>  a tenant, its API keys, its memberships (a key acts with its creator's role).
-- This trigger refuses any update or delete of those rows whose namespace the transaction did
-- not declare, so no write path (nor a hand-written fix in psql) can forget. Inserts need no
-- declaration: only live sessions and keys and existing memberships are ever kept, and an insert
-- cannot change what one of those said. Rows that are already unusable (a revoked key, a revoked
-- or expired session) were never kept, and changing them needs no declaration either.
CREATE FUNCTION identity_change_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  declared text := ' ' || coalesce(current_setting('app.identity_changes', true), '') || ' ';
  needed text[];
  ns text;
BEGIN
  IF TG_TABLE_NAME = 'sessions' THEN
    IF OLD.revoked_at IS NOT NULL OR OLD.expires_at <= now() THEN RETURN NULL; END IF;
    needed := ARRAY['u:' || OLD.user_id];
  ELSIF TG_TABLE_NAME = 'users' THEN
    needed := ARRAY['u:' || OLD.id];
  ELSIF TG_TABLE_NAME = 'memberships' THEN
    needed := ARRAY['u:' || OLD.user_id, 't:' || OLD.tenant_id];
  ELSIF TG_TABLE_NAME = 'api_keys' THEN
    IF OLD.revoked_at IS NOT NULL THEN RETURN NULL; END IF;
    needed := ARRAY['t:' || OLD.tenant_id];
  ELSE
    needed := ARRAY['t:' || OLD.id];
  END IF;
  FOREACH ns IN ARRAY needed LOOP
    IF position(' ' || ns || ' ' IN declared) = 0 THEN
      RAISE EXCEPTION 'identity change % not declared', ns
        USING HINT = 'A change to ' || TG_TABLE_NAME || ' must declare it with announceIdentityChanges (src/server/data/identity-changes.ts), which drops cached callers after commit';
    END IF;
  END LOOP;
  RETURN NULL;
END
$$;

CREATE TRIGGER sessions_identity_change AFTER UPDATE OR DELETE ON sessions
  FOR EACH ROW EXECUTE FUNCTION identity_change_guard();
CREATE TRIGGER users_identity_change AFTER UPDATE OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION identity_change_guard();
CREATE TRIGGER memberships_identity_change AFTER UPDATE OR DELETE ON memberships
  FOR EACH ROW EXECUTE FUNCTION identity_change_guard();
CREATE TRIGGER api_keys_identity_change AFTER UPDATE OR DELETE ON api_keys
  FOR EACH ROW EXECUTE FUNCTION identity_change_guard();
CREATE TRIGGER tenants_identity_change AFTER UPDATE OR DELETE ON tenants
  FOR EACH ROW EXECUTE FUNCTION identity_change_guard();
