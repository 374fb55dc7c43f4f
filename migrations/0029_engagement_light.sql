-- The engagement light's thresholds (issue 14, point 3): one row that
-- direction edits at /seuils-engagement. The rule itself lives in
-- src/domain/engagement_light.rs; the defaults are written in the README.
CREATE TABLE engagement_thresholds (
    only_row          boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    -- Grey below this many meetings recorded in the last six months.
    min_meetings      integer NOT NULL CHECK (min_meetings BETWEEN 1 AND 26),
    -- Attendance (percent, rounded) under which the light is red / yellow.
    red_attendance    integer NOT NULL CHECK (red_attendance BETWEEN 0 AND 100),
    yellow_attendance integer NOT NULL CHECK (yellow_attendance BETWEEN 0 AND 100),
    -- Red with fewer referrals received than this in six months (1: none).
    red_received      integer NOT NULL CHECK (red_received BETWEEN 0 AND 50),
    -- Yellow when referrals received per meeting fell by this share (percent)
    -- or more against the six months before.
    yellow_drop       integer NOT NULL CHECK (yellow_drop BETWEEN 1 AND 100),
    updated_by        bigint REFERENCES users(id),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT engagement_thresholds_order CHECK (red_attendance <= yellow_attendance)
);

INSERT INTO engagement_thresholds
    (min_meetings, red_attendance, yellow_attendance, red_received, yellow_drop)
VALUES (6, 60, 80, 1, 30);
