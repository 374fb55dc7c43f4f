-- Districts get the same edit check as members and groups: a save made
-- on an old version is refused instead of silently overwriting.
ALTER TABLE districts ADD COLUMN version integer NOT NULL DEFAULT 1;
