-- Importing a group's meeting figures from a CSV file (issue 14, point 1).

-- The uploaded file between the preview and the confirmation: kept on the
-- server for its uploader and for one group only, for a limited time (as
-- the member import's files). Only the SHA-256 of the token is stored.
CREATE TABLE meeting_import_uploads (
    token_hash  bytea PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_id    bigint NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    file_name   text NOT NULL CHECK (length(file_name) <= 255),
    content     bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX meeting_import_uploads_expires_idx ON meeting_import_uploads (expires_at);
CREATE INDEX meeting_import_uploads_user_idx ON meeting_import_uploads (user_id, created_at);

-- One row per confirmed import: who, when, which group and file, what it did.
CREATE TABLE meeting_imports (
    id              bigserial PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES users (id),
    group_id        bigint NOT NULL REFERENCES groups (id),
    imported_at     timestamptz NOT NULL DEFAULT now(),
    file_name       text NOT NULL CHECK (length(file_name) <= 255),
    lines           integer NOT NULL CHECK (lines >= 0),
    created         integer NOT NULL CHECK (created >= 0),
    updated         integer NOT NULL CHECK (updated >= 0),
    unchanged       integer NOT NULL CHECK (unchanged >= 0),
    refused         integer NOT NULL CHECK (refused >= 0),
    meetings_added  integer NOT NULL CHECK (meetings_added >= 0)
);
CREATE INDEX meeting_imports_group_idx ON meeting_imports (group_id, imported_at DESC);
