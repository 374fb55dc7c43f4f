-- The network's retention splits the current month's due members between
-- pending and upcoming from the district tally per renewal date
-- (`reports::tallied_retention`, migration 0022). Without a district, the
-- tally's key (district first) could not serve a range of dates, and the
-- whole table was read: 60,482 rows at 1,000,000 members for the 1,816 of
-- the month (5.4 ms). By date, on the index alone: 1.2 ms (BENCHMARKS.md).
CREATE INDEX district_renewal_days_date_idx ON district_renewal_days (renewal_date)
    INCLUDE (district_id, formula, active);
