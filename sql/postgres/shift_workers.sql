-- The workers of the shifts a group of changes names, so that their rows are locked in order.
select worker_id from shift where shift_id = any($1)
