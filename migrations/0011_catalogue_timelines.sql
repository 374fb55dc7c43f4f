-- Direction edits the reasons catalogue and the timelines from the browser
-- (issue 9, points 3 and 4).

-- Reasons: a version for the "two people editing" check, and an order that
-- can be rewritten in one statement (positions are renumbered when a reason
-- moves, so they may collide until the transaction ends).
ALTER TABLE reasons ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE reasons DROP CONSTRAINT reasons_category_position_key;
ALTER TABLE reasons ADD CONSTRAINT reasons_category_position_key
    UNIQUE (category, position) DEFERRABLE INITIALLY DEFERRED;

-- "Is this reason used?" decides whether it may be deleted: answered on
-- an index for each place a reason is referenced.
CREATE INDEX member_reasons_reason_idx ON member_reasons (reason_id);
CREATE INDEX members_lost_reason_idx ON members (lost_reason_id)
    WHERE lost_reason_id IS NOT NULL;
CREATE INDEX escalations_reason_idx ON escalations (reason_id)
    WHERE reason_id IS NOT NULL;

-- Every saved state of the timelines: the three tables and the standing
-- actions as they were after each save, with who saved and when. The
-- newest version is what `timeline_stages` / `standing_actions` hold; a
-- form carries the version it was drawn from, so a save made on an older
-- one is refused (no lost update).
CREATE TABLE timeline_versions (
    id            bigserial PRIMARY KEY,
    saved_at      timestamptz NOT NULL DEFAULT now(),
    saved_by      bigint REFERENCES users (id),
    note          text NOT NULL DEFAULT '' CHECK (length(note) <= 400),
    restored_from bigint REFERENCES timeline_versions (id)
);

CREATE TABLE timeline_version_stages (
    version_id bigint NOT NULL REFERENCES timeline_versions (id),
    formula    text NOT NULL CHECK (formula IN ('exclusive','regional','partner')),
    stage_key  text NOT NULL,
    label      text NOT NULL,
    anchor     char(1) NOT NULL CHECK (anchor IN ('P','R')),
    months     integer NOT NULL,
    days       integer NOT NULL,
    colour     text NOT NULL CHECK (colour IN ('red','orange','yellow','green')),
    position   integer NOT NULL,
    action     text NOT NULL,
    asks_billing_request boolean NOT NULL,
    PRIMARY KEY (version_id, formula, stage_key)
);

CREATE TABLE timeline_version_standing (
    version_id bigint NOT NULL REFERENCES timeline_versions (id),
    position   integer NOT NULL,
    action     text NOT NULL,
    PRIMARY KEY (version_id, position)
);

-- Version 1: the tables as seeded.
INSERT INTO timeline_versions (id, note) VALUES (1, 'Version initiale');
SELECT setval(pg_get_serial_sequence('timeline_versions', 'id'), 1);
INSERT INTO timeline_version_stages
    (version_id, formula, stage_key, label, anchor, months, days, colour, position, action,
     asks_billing_request)
SELECT 1, formula, stage_key, label, anchor, months, days, colour, position, action,
       asks_billing_request
FROM timeline_stages;
INSERT INTO timeline_version_standing (version_id, position, action)
SELECT 1, position, action FROM standing_actions;
