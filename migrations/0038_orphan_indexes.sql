-- The active members without a representative, in renewal date order: the
-- district activity's list to hand out (and its count), and the member
-- list's « sans représentant·e » filter. Read through the district's
-- index, the 505 orphans of a district of 17,800 members took a bitmap of
-- both indexes and 480 table pages (2.9 ms, and 1.9 ms more for the
-- count); on these two small indexes (3 % of the members), 0.2 and 0.15 ms.
CREATE INDEX members_orphans_district_idx ON members (district_id, renewal_date, id)
    WHERE status = 'active' AND representative_id IS NULL;
CREATE INDEX members_orphans_idx ON members (renewal_date, id)
    WHERE status = 'active' AND representative_id IS NULL;
