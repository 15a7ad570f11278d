-- Serialises changes to one worker's shifts for the rest of the transaction, so two overlap
-- checks for the same worker never pass side by side.
select worker_id from worker where worker_id = $1 for update
