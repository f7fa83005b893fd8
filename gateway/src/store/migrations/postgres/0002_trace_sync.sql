-- What the hub has been told of each trace (the gateway tells it of its own
-- acknowledgements and cancellations): NULL until told; a trace whose state
-- differs from hub_state is still to be told.
ALTER TABLE traces ADD COLUMN hub_state TEXT;
