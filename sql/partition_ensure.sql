-- A partition is made once, with the work planned for it; an existing one is left as it is.
insert into work_partition (step, run_key, partition_key, status, result) values ($1, $2, $3, 'pending', $4)
on conflict (step, run_key, partition_key) do nothing
