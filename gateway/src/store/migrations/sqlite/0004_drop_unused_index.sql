-- No query looks messages up by correlation id, and a random key makes every
-- insert into this index touch a page of its own.
DROP INDEX IF EXISTS messages_correlation;
