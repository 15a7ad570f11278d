update run_lease set holder = null, expires_at = 0 where name = $1 and token = $2
