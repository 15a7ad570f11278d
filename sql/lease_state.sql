select holder, token, expires_at from run_lease where name = $1
