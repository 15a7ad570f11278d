delete from work_partition where step = $1 and run_key = $2
