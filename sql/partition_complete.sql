update work_partition set status = 'done', completions = completions + 1, result = $5, lease_owner = null
where step = $1 and run_key = $2 and partition_key = $3 and lease_token = $4 and status = 'claimed'
