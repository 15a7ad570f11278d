-- Serialises changes to these workers' shifts for the rest of the transaction, locking the rows
-- in worker_id order so that two writers locking overlapping sets never deadlock.
select worker_id from worker where worker_id = any($1) order by worker_id for update
