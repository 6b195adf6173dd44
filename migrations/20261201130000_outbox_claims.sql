-- A sender claims a queued mail (in its own committed transaction) before handing it to the
-- transport, so two senders at once never deliver the same mail twice. A claim is a token and
-- the time it lapses: the claim of a sender that died is free again once it has lapsed.
ALTER TABLE outbox ADD COLUMN claim_token TEXT;
ALTER TABLE outbox ADD COLUMN claimed_until TEXT;
