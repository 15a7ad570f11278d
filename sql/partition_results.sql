select partition_key, result from work_partition where step = $1 and run_key = $2 and status = 'done' order by partition_key
