-- Groups (chapters) and members (SPEC §2).

CREATE TABLE groups (
    id            bigserial PRIMARY KEY,
    district_id   bigint NOT NULL REFERENCES districts (id),
    name          text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 120),
    kind          char(1) NOT NULL CHECK (kind IN ('A', 'B')),
    meeting_day   smallint CHECK (meeting_day BETWEEN 1 AND 7), -- 1 = lundi
    meeting_time  time,
    active        boolean NOT NULL DEFAULT true,
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- Lets members reference (id, kind) so that the seat rule follows the kind.
    UNIQUE (id, kind)
);
CREATE UNIQUE INDEX groups_name_key ON groups (district_id, lower(name));

CREATE TABLE members (
    id               bigserial PRIMARY KEY,
    first_name       text NOT NULL CHECK (length(btrim(first_name)) BETWEEN 1 AND 80),
    last_name        text NOT NULL CHECK (length(btrim(last_name)) BETWEEN 1 AND 80),
    business_name    text NOT NULL DEFAULT '' CHECK (length(business_name) <= 160),
    profession       text NOT NULL CHECK (length(btrim(profession)) BETWEEN 1 AND 120),
    -- Lower-case, accents removed, spaces collapsed (computed by the app):
    -- « Notaire » and « notaire » are the same seat.
    profession_key   text NOT NULL,
    email            text NOT NULL DEFAULT '' CHECK (length(email) <= 254),
    phone            text NOT NULL DEFAULT '' CHECK (length(phone) <= 40),
    city             text NOT NULL DEFAULT '' CHECK (length(city) <= 120),
    district_id      bigint NOT NULL REFERENCES districts (id),
    group_id         bigint,
    group_kind       char(1),
    formula          text NOT NULL CHECK (formula IN ('exclusive', 'regional', 'partner')),
    representative_id bigint REFERENCES users (id),
    join_date        date NOT NULL,
    renewal_date     date NOT NULL,
    term_months      integer NOT NULL DEFAULT 12 CHECK (term_months IN (6, 12, 18, 24, 36)),
    board_member     boolean NOT NULL DEFAULT false,
    gr_credits_cents bigint NOT NULL DEFAULT 0 CHECK (gr_credits_cents BETWEEN 0 AND 100000000),
    status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'lost')),
    state            text CHECK (state IN ('flame', 'green', 'yellow', 'red')),
    notes            text NOT NULL DEFAULT '' CHECK (length(notes) <= 4000),
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (renewal_date > join_date),
    -- A group only for exclusive seats; regional members and partners have none.
    CHECK ((formula = 'exclusive') = (group_id IS NOT NULL)),
    CHECK ((group_id IS NULL) = (group_kind IS NULL)),
    FOREIGN KEY (group_id, group_kind) REFERENCES groups (id, kind) ON UPDATE CASCADE
);

-- Exclusivity: in an A group, one active exclusive member per profession.
CREATE UNIQUE INDEX members_exclusive_seat ON members (group_id, profession_key)
    WHERE status = 'active' AND formula = 'exclusive' AND group_kind = 'A';

-- A stage is a range of renewal dates: lists and counts by stage or colour
-- are range scans on this index.
CREATE INDEX members_stage_idx ON members (formula, renewal_date);
CREATE INDEX members_district_idx ON members (district_id, renewal_date);
CREATE INDEX members_representative_idx ON members (representative_id, renewal_date);
CREATE INDEX members_group_idx ON members (group_id);
CREATE INDEX members_name_idx ON members (lower(last_name), lower(first_name));
