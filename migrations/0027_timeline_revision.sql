-- A number that changes with every write to the timeline tables, so that
-- each app server can keep the tables in memory and read them again only
-- when they changed: a page asks for this one row instead of every stage
-- with its action text (issue 10). Bumped by statement triggers in the
-- same transaction as the write, whoever writes (the timeline editor, a
-- restore, a migration, psql).
CREATE TABLE timeline_revision (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    n        bigint NOT NULL
);
INSERT INTO timeline_revision (n) VALUES (1);

CREATE FUNCTION timeline_revision_bump() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE timeline_revision SET n = n + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER timeline_stages_revision
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON timeline_stages
    FOR EACH STATEMENT EXECUTE FUNCTION timeline_revision_bump();
CREATE TRIGGER standing_actions_revision
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON standing_actions
    FOR EACH STATEMENT EXECUTE FUNCTION timeline_revision_bump();
