-- Audit log: immutability guard, retention checkpoints, the privileged prune path, and the
-- MongoDB relay cursor.
--
-- Why audit_events is not partitioned by time: retention is per tenant and per plan (30 days,
-- 1 year, 3 years, unlimited), so no time partition ever becomes droppable as a whole while one
-- tenant keeps its history; pruning is a per-tenant DELETE of the oldest run of the chain by
-- primary key (tenant_id, seq) instead. Every read is tenant-local on that key or on the
-- (tenant_id, …, seq) indexes, so table size does not change query cost. bench/audit.ts measures
-- verify, list and prune on a million events (docs/benchmarks.md). A partitioned table would also
-- lose the unique (tenant_id, seq) key, which must then include the partition column.

-- Immutability -----------------------------------------------------------------------------------
-- roi_app holds INSERT and SELECT only (0001). This trigger also stops the owner role: an UPDATE
-- never passes, a DELETE passes only inside prune_audit_events() or when the tenant itself is gone
-- (ON DELETE CASCADE). TRUNCATE is refused. Bypassing it takes a superuser
-- (session_replication_role = replica), and the hash chain still shows what was changed.
CREATE FUNCTION audit_events_guard() RETURNS trigger LANGUAGE plpgsql AS
$$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF current_setting('app.audit_prune', true) = 'on'
       OR NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = OLD.tenant_id) THEN
      RETURN OLD;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = '42501';
END
$$;

CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_guard();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_guard();

-- Retention --------------------------------------------------------------------------------------
-- Days of audit history per plan (NULL: kept for ever). Mirrors limits.auditRetentionDays in
-- src/server/domain/billing/plans.ts; tests/audit/retention.test.ts fails when they differ. The
-- prune function reads it here, not from the caller, so the app role cannot shorten retention.
CREATE TABLE audit_retention_policies (
  plan text PRIMARY KEY,
  retention_days integer CHECK (retention_days IS NULL OR retention_days >= 1)
);
INSERT INTO audit_retention_policies (plan, retention_days) VALUES
  ('free', 30), ('starter', 365), ('pro', 1095), ('agency', NULL);
GRANT SELECT ON audit_retention_policies TO roi_app;

-- The last pruned event of each tenant: verification starts from its seq and hash, so the chain
-- that remains still verifies after its oldest events are gone. Written by prune_audit_events().
CREATE TABLE audit_checkpoints (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  pruned_through_seq bigint NOT NULL,
  last_hash text NOT NULL,
  pruned_events bigint NOT NULL DEFAULT 0,
  pruned_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id)
);
ALTER TABLE audit_checkpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_checkpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_checkpoints_isolation ON audit_checkpoints
  USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
GRANT SELECT ON audit_checkpoints TO roi_app;

-- The privileged prune path. The worker verifies the run it wants to drop (in Node, where the
-- canonical encoding lives) and names its last seq and hash; this function, running as the owner,
-- deletes (checkpoint, p_through_seq] only if that run is contiguous, ends at the named hash, and
-- is entirely older than the tenant's plan retention, then moves the checkpoint, all in the
-- caller's transaction. It acts only on the tenant the transaction is scoped to.
CREATE FUNCTION prune_audit_events(p_tenant_id uuid, p_through_seq bigint, p_expected_hash text)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS
$$
DECLARE
  v_plan text;
  v_days integer;
  v_from bigint;
  v_count bigint;
  v_newest timestamptz;
  v_hash text;
BEGIN
  IF p_tenant_id IS DISTINCT FROM app_tenant_id() THEN
    RAISE EXCEPTION 'prune_audit_events: tenant % is not the transaction''s tenant', p_tenant_id
      USING ERRCODE = '42501';
  END IF;
  SELECT t.plan INTO v_plan FROM tenants t WHERE t.id = p_tenant_id;
  IF NOT FOUND THEN
    RETURN 0;
  END IF;
  -- An unknown plan keeps the shortest retention, as planById() falls back to free.
  SELECT r.retention_days INTO v_days FROM audit_retention_policies r
    WHERE r.plan = coalesce((SELECT p.plan FROM audit_retention_policies p WHERE p.plan = v_plan), 'free');
  IF v_days IS NULL THEN
    RAISE EXCEPTION 'prune_audit_events: plan % keeps audit history for ever', v_plan USING ERRCODE = '42501';
  END IF;

  -- One pruner per tenant at a time; writers are not blocked (they append at the other end).
  PERFORM pg_advisory_xact_lock(hashtext('audit-prune:' || p_tenant_id::text));
  SELECT c.pruned_through_seq INTO v_from FROM audit_checkpoints c WHERE c.tenant_id = p_tenant_id;
  v_from := coalesce(v_from, 0);
  IF p_through_seq <= v_from THEN
    RETURN 0;
  END IF;

  SELECT count(*), max(e.occurred_at) INTO v_count, v_newest FROM audit_events e
    WHERE e.tenant_id = p_tenant_id AND e.seq > v_from AND e.seq <= p_through_seq;
  IF v_count <> p_through_seq - v_from THEN
    RAISE EXCEPTION 'prune_audit_events: events % to % of tenant % are not contiguous', v_from + 1,
      p_through_seq, p_tenant_id USING ERRCODE = 'P0001';
  END IF;
  IF v_newest >= now() - make_interval(days => v_days) THEN
    RAISE EXCEPTION 'prune_audit_events: event % of tenant % is within the % days retention',
      p_through_seq, p_tenant_id, v_days USING ERRCODE = '42501';
  END IF;
  SELECT e.hash INTO v_hash FROM audit_events e WHERE e.tenant_id = p_tenant_id AND e.seq = p_through_seq;
  IF v_hash IS DISTINCT FROM p_expected_hash THEN
    RAISE EXCEPTION 'prune_audit_events: event % of tenant % does not have the verified hash',
      p_through_seq, p_tenant_id USING ERRCODE = 'P0001';
  END IF;

  PERFORM set_config('app.audit_prune', 'on', true);
  DELETE FROM audit_events e WHERE e.tenant_id = p_tenant_id AND e.seq > v_from AND e.seq <= p_through_seq;
  PERFORM set_config('app.audit_prune', '', true);

  INSERT INTO audit_checkpoints (tenant_id, pruned_through_seq, last_hash, pruned_events, pruned_at)
    VALUES (p_tenant_id, p_through_seq, v_hash, v_count, now())
    ON CONFLICT (tenant_id) DO UPDATE SET pruned_through_seq = excluded.pruned_through_seq,
      last_hash = excluded.last_hash,
      pruned_events = audit_checkpoints.pruned_events + excluded.pruned_events,
      pruned_at = excluded.pruned_at;
  RETURN v_count;
END
$$;
REVOKE ALL ON FUNCTION prune_audit_events(uuid, bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION prune_audit_events(uuid, bigint, text) TO roi_app;

-- MongoDB relay ----------------------------------------------------------------------------------
-- How far each tenant's chain has been shipped to MongoDB (events and prunes). The relay commits
-- this row after MongoDB acknowledged the batch, so a crash in between re-ships the batch, which
-- MongoDB ignores (upserts keyed by event id).
CREATE TABLE audit_relay_cursors (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  shipped_seq bigint NOT NULL DEFAULT 0,
  shipped_checkpoint_seq bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id)
);
ALTER TABLE audit_relay_cursors ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_relay_cursors FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_relay_cursors_isolation ON audit_relay_cursors
  USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
GRANT SELECT, INSERT, UPDATE ON audit_relay_cursors TO roi_app;

-- Tenants whose chain (or checkpoint) is ahead of what was shipped: the relay's work list. It
-- reveals ids and counters only, across tenants, so it runs as the owner.
CREATE FUNCTION audit_relay_backlog(p_limit integer)
RETURNS TABLE (tenant_id uuid, last_seq bigint, shipped_seq bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
$$
  SELECT h.tenant_id, h.last_seq, coalesce(r.shipped_seq, 0)
  FROM audit_chain_heads h
  LEFT JOIN audit_relay_cursors r ON r.tenant_id = h.tenant_id
  LEFT JOIN audit_checkpoints c ON c.tenant_id = h.tenant_id
  WHERE h.last_seq > coalesce(r.shipped_seq, 0)
     OR coalesce(c.pruned_through_seq, 0) > coalesce(r.shipped_checkpoint_seq, 0)
  ORDER BY h.tenant_id
  LIMIT p_limit
$$;
REVOKE ALL ON FUNCTION audit_relay_backlog(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_relay_backlog(integer) TO roi_app;
