-- What routing needs, beside the kind: the trace a trace request or response
-- belongs to, so that the forwarder picks the hub's route and moves the trace
-- without parsing the stored body. NULL for the other kinds. Keep in step with
-- ../sqlite/0005_message_trace_id.sql.
ALTER TABLE messages ADD COLUMN trace_id TEXT;
-- Rows stored before this column: their trace id from their body, the one time.
UPDATE messages SET trace_id = body::jsonb ->> 'trace_id'
    WHERE kind IN ('trace_request', 'trace_response');
