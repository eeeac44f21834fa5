-- Password reset links: a token of 256 random bits, stored as its SHA-256, single use, valid one
-- hour. Global (an account, not a workspace), like sessions.
CREATE TABLE password_reset_tokens (
  token_hash text PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  ip text
);
CREATE INDEX password_reset_tokens_user_idx ON password_reset_tokens (user_id);
GRANT SELECT, INSERT, UPDATE, DELETE ON password_reset_tokens TO roi_app;
