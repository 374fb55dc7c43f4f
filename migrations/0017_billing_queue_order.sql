-- « À traiter » lists the invoices still to send first, then those waiting
-- for payment, each oldest first: this partial index gives that order
-- directly, so a page of the queue reads about a page of rows.
CREATE INDEX billing_requests_queue_idx
    ON billing_requests ((status <> 'requested'), requested_at, id)
    WHERE status IN ('requested', 'invoice_sent', 'received');
