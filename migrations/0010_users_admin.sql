-- Users managed from the browser (issue 9): last login, a version for the
-- edit form, and one-time links to choose a password.

ALTER TABLE users ADD COLUMN last_login_at timestamptz;
ALTER TABLE users ADD COLUMN version integer NOT NULL DEFAULT 1;

-- A link to choose one's password: only the SHA-256 of its token is kept
-- (like sessions). Valid until expires_at, used once.
CREATE TABLE password_links (
    token_hash  bytea PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_by  bigint REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    CHECK (expires_at > created_at)
);
CREATE INDEX password_links_user_idx ON password_links (user_id);

-- The user list filters by role and district and sorts by name.
CREATE INDEX users_name_idx ON users (lower(display_name), id);
