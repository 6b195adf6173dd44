-- workflow.md §5, the loop breaker: a mail on one of the bot's threads that is neither valid
-- workflow mail nor a valid command gets at most one answer per thread per day. A thread here is
-- the whole chain of replies: a robot answering the bot's rejection of its own reply stays on the
-- chain of the mail the bot first answered, although every rejection carries its own [SB-n] tag.
ALTER TABLE messages ADD COLUMN chain INTEGER;        -- the first mail of the reply chain
CREATE INDEX messages_chain ON messages (chain, handled_at) WHERE chain IS NOT NULL;
