-- Follow-ups (suivis), the member's state, planned follow-ups (relances).

-- A renewal starts a new cycle: stages are "done" per cycle.
ALTER TABLE members ADD COLUMN cycle integer NOT NULL DEFAULT 1;
-- Latest contact, for the "not contacted for the longest time" list.
ALTER TABLE members ADD COLUMN last_contact_at timestamptz;
CREATE INDEX members_last_contact_idx ON members (representative_id, last_contact_at NULLS FIRST)
    WHERE status = 'active';

CREATE TABLE follow_ups (
    id            bigserial PRIMARY KEY,
    member_id     bigint NOT NULL REFERENCES members (id),
    author_id     bigint NOT NULL REFERENCES users (id),
    at            timestamptz NOT NULL DEFAULT now(),
    channel       text NOT NULL CHECK (channel IN ('call', 'meeting', 'email', 'sms', 'visit', 'other')),
    body          text NOT NULL CHECK (length(btrim(body)) BETWEEN 1 AND 4000),
    -- The stage the member was in at that moment, kept as it was shown so
    -- that history stays true when dates or tables change. Empty for a
    -- lost member.
    cycle         integer NOT NULL,
    stage_key     text,
    stage_label   text,
    stage_colour  text CHECK (stage_colour IN ('red', 'orange', 'yellow', 'green')),
    state         text NOT NULL CHECK (state IN ('flame', 'green', 'yellow', 'red')),
    next_date     date,
    -- Follow-ups are never rewritten: a correction is a new row pointing
    -- at the one it corrects.
    corrects_id   bigint REFERENCES follow_ups (id),
    CHECK (corrects_id IS NULL OR corrects_id <> id)
);
CREATE INDEX follow_ups_member_idx ON follow_ups (member_id, at DESC);
CREATE INDEX follow_ups_stage_idx ON follow_ups (member_id, cycle, stage_key);
CREATE INDEX follow_ups_author_idx ON follow_ups (author_id, at);

CREATE TABLE planned_follow_ups (
    id            bigserial PRIMARY KEY,
    member_id     bigint NOT NULL REFERENCES members (id),
    planned_by    bigint NOT NULL REFERENCES users (id),
    from_follow_up_id bigint REFERENCES follow_ups (id),
    due_date      date NOT NULL,
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'rescheduled')),
    closed_on     date,
    closed_by_follow_up_id bigint REFERENCES follow_ups (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'open') = (closed_on IS NULL))
);
-- One open planned follow-up per member at a time.
CREATE UNIQUE INDEX planned_follow_ups_open_key ON planned_follow_ups (member_id) WHERE status = 'open';
CREATE INDEX planned_follow_ups_due_idx ON planned_follow_ups (due_date) WHERE status = 'open';
