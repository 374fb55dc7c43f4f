-- Group meetings and each member's figures at a meeting (issue 14).
--
-- A group meets every week on its meeting day (groups.meeting_day). Those
-- regular meetings are not stored ahead of time: a row of `meetings` is
-- written when one is filled in, cancelled, or added on another date.
CREATE TABLE meetings (
    id            bigserial PRIMARY KEY,
    group_id      bigint NOT NULL REFERENCES groups(id),
    held_on       date NOT NULL,
    -- Added on a date that is not the group's meeting day.
    added         boolean NOT NULL DEFAULT false,
    cancelled_at  timestamptz,
    cancelled_by  bigint REFERENCES users(id),
    created_by    bigint REFERENCES users(id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT meetings_group_day UNIQUE (group_id, held_on)
);

-- One member's line at one meeting. `held_on` repeats the meeting's date
-- so that « one member's last 12 months » is one range of one index
-- (5 million lines a year at 100 000 members stay index-driven).
CREATE TABLE meeting_lines (
    meeting_id          bigint NOT NULL REFERENCES meetings(id),
    member_id           bigint NOT NULL REFERENCES members(id),
    held_on             date NOT NULL,
    attendance          text NOT NULL
                        CHECK (attendance IN ('present', 'absent', 'excused', 'substitute')),
    referrals_given     integer NOT NULL DEFAULT 0 CHECK (referrals_given BETWEEN 0 AND 999),
    given_value_cents   bigint CHECK (given_value_cents BETWEEN 0 AND 100000000000),
    referrals_received  integer NOT NULL DEFAULT 0 CHECK (referrals_received BETWEEN 0 AND 999),
    received_value_cents bigint CHECK (received_value_cents BETWEEN 0 AND 100000000000),
    visitors            integer NOT NULL DEFAULT 0 CHECK (visitors BETWEEN 0 AND 999),
    one_to_ones         integer NOT NULL DEFAULT 0 CHECK (one_to_ones BETWEEN 0 AND 999),
    thanks_cents        bigint NOT NULL DEFAULT 0 CHECK (thanks_cents BETWEEN 0 AND 100000000000),
    note                text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    version             integer NOT NULL DEFAULT 1,
    updated_by          bigint REFERENCES users(id),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (meeting_id, member_id)
);

-- A member's figures over a period: an index-only range per member.
CREATE INDEX meeting_lines_member_day ON meeting_lines (member_id, held_on)
    INCLUDE (meeting_id, attendance, referrals_given, referrals_received, visitors, one_to_ones);

-- Every save of a line, as it was saved (append-only): the page shows who
-- changed what and when by comparing each version with the one before.
CREATE TABLE meeting_line_history (
    id                  bigserial PRIMARY KEY,
    meeting_id          bigint NOT NULL REFERENCES meetings(id),
    member_id           bigint NOT NULL REFERENCES members(id),
    version             integer NOT NULL,
    attendance          text NOT NULL,
    referrals_given     integer NOT NULL,
    given_value_cents   bigint,
    referrals_received  integer NOT NULL,
    received_value_cents bigint,
    visitors            integer NOT NULL,
    one_to_ones         integer NOT NULL,
    thanks_cents        bigint NOT NULL,
    note                text NOT NULL,
    changed_by          bigint REFERENCES users(id),
    changed_at          timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX meeting_line_history_line ON meeting_line_history (meeting_id, member_id, version);
