select count(*) from work_partition where step = $1 and run_key = $2 and status <> 'done'
