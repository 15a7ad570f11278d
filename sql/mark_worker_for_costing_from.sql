-- A worker's shifts that end after an instant (the start of the first local date a change to
-- their pay affects): time before the change keeps its costs.
update shift set needs_costing = $1 where worker_id = $2 and last_end_utc > $3
