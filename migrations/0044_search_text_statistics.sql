-- How many members a searched word matches is estimated from the sampled
-- values of the searched text: with the default hundred of them, a name
-- borne by 3 % of the members (« tremblay ») could fall in none, be
-- estimated at 9 members of 100,000 instead of 3,003, and the list page
-- then read every match through the trigram index and sorted them all
-- (9.9 ms) instead of walking the renewal order index to its first fifty
-- (1.4 ms). A thousand sampled values keep the estimate near the truth.
ALTER TABLE members ALTER COLUMN search_text SET STATISTICS 1000;
ANALYZE members (search_text);
