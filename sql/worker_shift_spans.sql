-- A worker's approved and waiting shifts, first start and last end, for the warning about time
-- on dates with no base rate in force.
select first_start_utc, last_end_utc from shift
where worker_id = $1 and status in ('approved', 'submitted')
