-- A follow-up adds one to its author's count of the month
-- (`follow_up_monthly`): every follow-up the same person logs waits on that
-- row until the first one commits. PostgreSQL fires a table's triggers in
-- the order of their names, so this one is renamed to fire after the
-- others (stages followed, due cycles, risk), which touch only the
-- member's own rows: the wait covers less of the transaction.
ALTER TRIGGER follow_ups_monthly_summary ON follow_ups RENAME TO follow_ups_zz_monthly_summary;
