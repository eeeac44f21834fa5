-- When a failed inbox row's next try is due (its job waits out an exponential backoff). The
-- sweeper leaves such a row alone until that try is overdue, so it never doubles a retry that is
-- still on its way; a row whose job was lost is swept as before.
ALTER TABLE stripe_webhook_events ADD COLUMN retry_at timestamptz;
