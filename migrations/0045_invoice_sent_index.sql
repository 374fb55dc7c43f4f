-- The invoices a representative's members must confirm receiving
-- (« Aujourd'hui », `billing::to_confirm`): the requests whose invoice is
-- sent, found member by member from the portfolio in this small index.
-- Without it, at 100,000 members the statement read every sent invoice of
-- the network (2,788) and hashed them against the portfolio (1.1 ms warm),
-- and at 1,000,000 it looked each member up in the live requests and read
-- each one's row to test its status (2.1 ms); 0.7 and 1.3 ms with it
-- (BENCHMARKS.md).
CREATE INDEX billing_requests_invoice_sent_idx ON billing_requests (member_id)
    WHERE status = 'invoice_sent';
