-- Outgoing mail. Every message (a report e-mail, an invitation) is written to the outbox in the
-- same transaction as the change that causes it, so a message exists exactly when its cause
-- committed. The worker sends queued rows through SMTP_URL, never inside a transaction: it takes a
-- lease on a row (locked_until) in one short transaction, talks to the mail server with none open,
-- and records the outcome in another. A worker killed mid-send leaves the lease to expire and the
-- row is sent again with the same Message-ID. Without SMTP_URL rows stay 'queued', readable in the
-- app.
CREATE TABLE outbox_messages (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('report', 'invitation', 'password_reset')),
  to_addresses text[] NOT NULL,
  -- The From display name when the message was written (the workspace's branding).
  from_name text NOT NULL,
  subject text NOT NULL,
  text_body text NOT NULL,
  html_body text NOT NULL,
  -- [{filename, contentType, contentBase64}]: stored, so a retry sends the same bytes.
  attachments jsonb NOT NULL DEFAULT '[]'::jsonb,
  message_id text NOT NULL,
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz,
  -- The scheduled report delivery this message carries, if any.
  delivery_id uuid,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, message_id)
);
CREATE INDEX outbox_messages_list_idx ON outbox_messages (tenant_id, created_at, id);
CREATE INDEX outbox_messages_due_idx ON outbox_messages (next_attempt_at) WHERE status = 'queued';
ALTER TABLE outbox_messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbox_messages FORCE ROW LEVEL SECURITY;
-- The sender lists due rows across tenants (reading only) under app.worker_scope = 'outbox'.
CREATE POLICY outbox_messages_isolation ON outbox_messages
  USING (tenant_id = app_tenant_id() OR app_worker_scope() = 'outbox')
  WITH CHECK (tenant_id = app_tenant_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON outbox_messages TO roi_app;

-- Mail that belongs to a person rather than a workspace (a password reset: the account may have
-- no workspace, and no workspace's managers may read another member's reset link). Global, like
-- users and sessions; never listed through the API. Without SMTP_URL such a message stays queued
-- here, readable by the operator only.
CREATE TABLE system_outbox_messages (
  id uuid PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('password_reset')),
  user_id uuid REFERENCES users (id) ON DELETE CASCADE,
  to_addresses text[] NOT NULL,
  from_name text NOT NULL,
  subject text NOT NULL,
  text_body text NOT NULL,
  html_body text NOT NULL,
  attachments jsonb NOT NULL DEFAULT '[]'::jsonb,
  message_id text NOT NULL UNIQUE,
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz
);
CREATE INDEX system_outbox_messages_due_idx ON system_outbox_messages (next_attempt_at) WHERE status = 'queued';
GRANT SELECT, INSERT, UPDATE, DELETE ON system_outbox_messages TO roi_app;
