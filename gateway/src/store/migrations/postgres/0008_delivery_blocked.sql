-- A delivery waiting behind a dead one of the same record and destination is
-- `blocked` (with the reason in last_error) instead of `queued` forever: the
-- operator sees it, and replaying or retrying the dead one releases it. Keep in
-- step with ../sqlite/0008_delivery_blocked.sql.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_state_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_state_check
    CHECK (state IN ('queued', 'delivering', 'retry_wait', 'delivered', 'dead', 'blocked'));
