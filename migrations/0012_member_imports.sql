-- Importing members from a CSV file (issue 9, point 5).

-- The uploaded file between the preview and the confirmation: kept on the
-- server (never sent back through the browser), for its uploader only,
-- for a limited time. Only the SHA-256 of the token is stored.
CREATE TABLE import_uploads (
    token_hash  bytea PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    file_name   text NOT NULL CHECK (length(file_name) <= 255),
    content     bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX import_uploads_expires_idx ON import_uploads (expires_at);

-- One row per confirmed import: who, when, which file, what it did.
CREATE TABLE member_imports (
    id           bigserial PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id),
    district_id  bigint REFERENCES districts (id), -- the importer's district (managers)
    imported_at  timestamptz NOT NULL DEFAULT now(),
    file_name    text NOT NULL CHECK (length(file_name) <= 255),
    lines        integer NOT NULL CHECK (lines >= 0),
    created      integer NOT NULL CHECK (created >= 0),
    updated      integer NOT NULL CHECK (updated >= 0),
    unchanged    integer NOT NULL CHECK (unchanged >= 0),
    refused      integer NOT NULL CHECK (refused >= 0)
);
CREATE INDEX member_imports_user_idx ON member_imports (user_id, imported_at DESC);
CREATE INDEX member_imports_at_idx ON member_imports (imported_at DESC);

-- Lines are matched to members by email, whatever its case.
CREATE INDEX members_email_idx ON members (lower(email)) WHERE email <> '';
